"""What hadolint 2.15 reads besides its command line: its `HADOLINT_*` environment variables and
the global config files it falls back to, mapped onto CODI's settings (documented in docs/hadolint.md).

hadolint's README lists the variables and the search order; CODI reads them with the same meaning,
below its own `CODI_*` variables and the command line.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from codi.config.model import LEVELS, ConfigError, ConfigLayer
from codi.config.values import Checker, label_schema_items, split_list

HADOLINT_ENV = "environment (HADOLINT_*)"
_TRUE = frozenset({"1", "true", "yes", "on", "y"})
_FALSE = frozenset({"0", "false", "no", "off", "n", ""})


def _truthy(name: str, value: str) -> bool:
    low = value.strip().lower()
    if low in _TRUE:
        return True
    if low in _FALSE:
        return False
    raise ConfigError(f"environment variable {name} must be a truthy value (1, true, yes) or 0/false/no, got {value!r}")


def hadolint_env_layer(env: Mapping[str, str]) -> ConfigLayer:
    """Settings from hadolint's environment variables (``HADOLINT_FORMAT`` and ``HADOLINT_VERBOSE``
    are output options: the CLI reads them, see ``hadolint_format``)."""
    layer = ConfigLayer(HADOLINT_ENV, lenient=True)  # like .hadolint.yaml: codes CODI lacks are skipped
    check = Checker("", "")

    def get(name: str) -> str | None:
        value = env.get("HADOLINT_" + name)
        return value if value not in (None, "") else None

    try:
        if (v := get("NOFAIL")) is not None:
            layer.no_fail = _truthy("HADOLINT_NOFAIL", v)
        if (v := get("FAILURE_THRESHOLD")) is not None:
            layer.failure_threshold = check.threshold("HADOLINT_FAILURE_THRESHOLD", v)
        for level in LEVELS:
            if (v := get("OVERRIDE_" + level.upper())) is not None:
                layer.severity.update({code.upper(): level for code in split_list(v)})
        if (v := get("IGNORE")) is not None:
            layer.ignore = split_list(v)
        if (v := get("STRICT_LABELS")) is not None:
            layer.strict_labels = _truthy("HADOLINT_STRICT_LABELS", v)
        if (v := get("DISABLE_IGNORE_PRAGMA")) is not None:
            layer.pragmas = not _truthy("HADOLINT_DISABLE_IGNORE_PRAGMA", v)
        if (v := get("TRUSTED_REGISTRIES")) is not None:
            layer.trusted_registries = split_list(v)
        if (v := get("REQUIRE_LABELS")) is not None:
            layer.label_schema = label_schema_items("HADOLINT_REQUIRE_LABELS", split_list(v))
    except ConfigError as exc:
        message = str(exc)
        raise ConfigError(message if message.startswith("environment") else f"environment variable {message}") from exc
    return layer


def hadolint_format(env: Mapping[str, str]) -> str | None:
    """``HADOLINT_FORMAT``: the output format when ``--format`` is not given."""
    value = env.get("HADOLINT_FORMAT", "").strip()
    return value or None


def global_config_files(env: Mapping[str, str], cwd: Path) -> list[Path]:
    """hadolint's config search list, in its order (the first one that exists is used), each also
    as ``.yml``: ``./.hadolint.yaml``, ``$XDG_CONFIG_HOME/hadolint.yaml`` (``~/.config/hadolint.yaml``
    when XDG_CONFIG_HOME is unset), ``~/.hadolint/hadolint.yaml``, ``~/.hadolint.yaml``.

    hadolint's README also names ``~/hadolint/config.yaml`` and ``~/.config`` beside a set
    XDG_CONFIG_HOME; hadolint 2.15.1 reads neither, and neither does CODI (same exit codes).
    """
    home = Path(env.get("HOME") or str(Path.home()))
    xdg = env.get("XDG_CONFIG_HOME") or str(home / ".config")
    stems = [cwd / ".hadolint", Path(xdg) / "hadolint", home / ".hadolint" / "hadolint", home / ".hadolint"]
    return [stem.with_name(stem.name + suffix) for stem in stems for suffix in (".yaml", ".yml")]


def _readable_file(path: Path) -> bool:
    """A config file that exists; one in a folder this user may not enter (e.g. /root as nobody) is none."""
    try:
        return path.is_file()
    except OSError:
        return False


def first_global_config(env: Mapping[str, str], cwd: Path) -> Path | None:
    return next((p for p in global_config_files(env, cwd) if _readable_file(p)), None)
