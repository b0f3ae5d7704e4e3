"""Where CODI keeps things: the output root, the state dir and the installed bundles' paths.

The output root is ``--out``, else ``CODI_OUTPUT_ROOT``, else ``./runs``. The state dir is
``CODI_STATE_DIR``, else ``<output root>/.codi-state``. Installed bundles live in
``<state>/bundles/<kind>/<version>/`` with an ``active`` pointer (written by ``codi.ops.bundle_store``);
these look-ups only read, so the model runtime and the rules catalog can find them from below the service.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path


def output_root(out: str | Path | None = None, env: Mapping[str, str] | None = None) -> Path:
    """``out`` (--out), else CODI_OUTPUT_ROOT, else ``runs``: the one place this default is written."""
    env = os.environ if env is None else env
    return Path(out or env.get("CODI_OUTPUT_ROOT") or "runs")


def state_dir(out: str | Path | None = None, env: Mapping[str, str] | None = None) -> Path:
    """CODI_STATE_DIR, else ``<output root>/.codi-state`` (jobs, metrics, installed bundles)."""
    env = os.environ if env is None else env
    raw = env.get("CODI_STATE_DIR")
    return Path(raw) if raw else output_root(out, env) / ".codi-state"


def kind_dir(kind: str, out: str | Path | None = None) -> Path:
    return state_dir(out) / "bundles" / kind


def active_version(kind: str, out: str | Path | None = None) -> str | None:
    try:
        text = (kind_dir(kind, out) / "active").read_text(encoding="utf-8").strip()
    except OSError:
        return None
    return text or None


def active_dir(kind: str, out: str | Path | None = None) -> Path | None:
    """The folder of the active ``kind`` bundle, or None when none is installed."""
    version = active_version(kind, out)
    folder = kind_dir(kind, out) / version if version else None
    return folder if folder and folder.is_dir() else None


def active_rules_file() -> Path | None:
    """The active rules bundle's ``rules.yml`` (used by ``catalog_path`` when no --rules/RULES_PATH)."""
    folder = active_dir("rules")
    return folder / "rules.yml" if folder and (folder / "rules.yml").is_file() else None


def active_adapter_dir() -> Path | None:
    """The active adapter bundle's adapter folder (used when ADAPTER_PATH is unset)."""
    folder = active_dir("adapter")
    return folder / "adapter" if folder and (folder / "adapter").is_dir() else None


# ADAPTER_PATH=none (or `--no-adapter`): the base model as it is, no adapter at all.
NO_ADAPTER = "none"


def shipped_adapter_dir() -> Path | None:
    """The promoted adapter that ships inside the package (``codi/llm/adapter/``), when this install has it."""
    folder = Path(__file__).resolve().parents[1] / "llm" / "adapter"
    return folder if (folder / "metadata.json").is_file() else None


def adapter_path_from_env() -> str | None:
    """ADAPTER_PATH (``none`` turns the adapter off), else the active installed bundle, else the shipped one."""
    explicit = os.environ.get("ADAPTER_PATH")
    if explicit:
        return None if explicit.strip().lower() == NO_ADAPTER else explicit
    found = active_adapter_dir() or shipped_adapter_dir()
    return str(found) if found else None
