"""Operator settings: what only whoever runs CODI may decide, never a project that CODI reads.

A checked-out repository controls its own ``.codi.toml``; it must not control which bundle signers
CODI trusts, nor where the audit chain's key lives. These come from:

- the environment: ``CODI_TRUSTED_KEYS`` (comma-separated base64 Ed25519 public keys),
  ``CODI_AUDIT_KEY_FILE``;
- the operator's state folder: ``CODI_STATE_DIR`` when set, else ``$XDG_STATE_HOME/codi``
  (``~/.local/state/codi``): ``trusted-keys`` (one key a line, ``#`` comments) and ``audit.key``;
- the system config: ``CODI_SYSTEM_CONFIG``, else ``/etc/codi/config.toml``, ``[bundles] trusted_keys``.

``[bundles] trusted_keys`` in a project's ``.codi.toml`` / ``pyproject.toml`` (or a ``--config`` file)
is ignored, with a warning that says so.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path

from codi.config.discover import find_config_files

TRUSTED_KEYS_FILE = "trusted-keys"
AUDIT_KEY_FILE = "audit.key"
SYSTEM_CONFIG = Path("/etc/codi/config.toml")
# Operator files in the state folder: never in a backup, carried over by a restore (codi.ops.restore).
OPERATOR_FILES = (TRUSTED_KEYS_FILE, AUDIT_KEY_FILE)


def operator_state_dir(env: Mapping[str, str] | None = None) -> Path:
    """``CODI_STATE_DIR``, else ``$XDG_STATE_HOME/codi``, else ``~/.local/state/codi``."""
    env = os.environ if env is None else env
    explicit = (env.get("CODI_STATE_DIR") or "").strip()
    if explicit:
        return Path(explicit)
    return Path(env.get("XDG_STATE_HOME") or Path.home() / ".local" / "state") / "codi"


def system_config_path(env: Mapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    return Path(env.get("CODI_SYSTEM_CONFIG") or SYSTEM_CONFIG)


def _bundle_keys(data: object) -> list[str]:
    table = data.get("bundles", {}) if isinstance(data, dict) else {}
    listed = table.get("trusted_keys", []) if isinstance(table, dict) else []
    return [str(k).strip() for k in listed if str(k).strip()] if isinstance(listed, list) else []


def _toml(path: Path) -> dict[str, object]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return {}
    if path.name == "pyproject.toml":
        tool = data.get("tool", {})
        data = tool.get("codi", {}) if isinstance(tool, dict) else {}
    return data if isinstance(data, dict) else {}


def system_config(env: Mapping[str, str] | None = None) -> dict[str, object]:
    """The operator's system config file (``CODI_SYSTEM_CONFIG``, else /etc/codi/config.toml), or {}."""
    return _toml(system_config_path(env))


def _key_lines(path: Path) -> list[str]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return []
    return [line.split("#", 1)[0].strip() for line in text.splitlines() if line.split("#", 1)[0].strip()]


def trusted_keys(env: Mapping[str, str] | None = None) -> list[str]:
    """The bundle signers the operator trusts: environment, state folder, system config (in that order)."""
    env = os.environ if env is None else env
    keys = [k.strip() for k in env.get("CODI_TRUSTED_KEYS", "").split(",") if k.strip()]
    keys += _key_lines(operator_state_dir(env) / TRUSTED_KEYS_FILE)
    keys += _bundle_keys(_toml(system_config_path(env)))
    return list(dict.fromkeys(keys))


def ignored_project_keys(start: Path | None = None, env: Mapping[str, str] | None = None) -> list[Path]:
    """Project config files (nearest ``.codi.toml``/``pyproject.toml``, ``CODI_CONFIG``) that set trust anchors."""
    env = os.environ if env is None else env
    files = [f for f in find_config_files(start or Path.cwd()) if f.name in (".codi.toml", "pyproject.toml")]
    if env.get("CODI_CONFIG"):
        files.append(Path(env["CODI_CONFIG"]))
    return [f for f in files if _bundle_keys(_toml(f))]


def ignored_keys_warning(files: list[Path]) -> str | None:
    if not files:
        return None
    return (f"{', '.join(map(str, files))}: [bundles] trusted_keys is ignored: trusted signers come only from "
            "operator settings (CODI_TRUSTED_KEYS, trusted-keys in CODI_STATE_DIR or ~/.local/state/codi, "
            "/etc/codi/config.toml)")
