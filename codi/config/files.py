"""Reading one config file: `.codi.toml`, `[tool.codi]` in `pyproject.toml`, or `.hadolint.yaml`."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from codi import safefs
from codi.config.model import ConfigError, ConfigLayer
from codi.config.values import Checker

# Keys of `.codi.toml` / `[tool.codi]` (also accepted inside a `[lint]` table).
CODI_KEYS = {
    "select",
    "extend-select",
    "ignore",
    "failure-threshold",
    "no-fail",
    "severity",
    "trusted-registries",
    "label-schema",
    "strict-labels",
    "max-file-size",  # the input size limit (codi.safefs): bytes, or e.g. "4M"
    "bases",  # measured mode's base map (codi.imagebuild.basemap); lint ignores it
    "bundles",  # [bundles] trusted_keys: accepted, but trust is an operator setting (codi.config.operator warns)
}
# hadolint's own keys that CODI takes over (also format and no-color, for `codi lint`); the rest of
# hadolint's (verbose...) are accepted and left alone, so an existing `.hadolint.yaml` keeps working unchanged.
HADOLINT_LEVELS = ("error", "warning", "info", "style")


def _read(path: Path, root: Path | None = None) -> str:
    # A config file is found in the linted folders: a regular file of bounded size (never a FIFO). One
    # found in a project (``root``: its folder) is also no link out of that folder: a checkout must not make
    # CODI read, and answer about, a file elsewhere on the machine (/proc/self/environ, another user's).
    try:
        return safefs.read_text(path, root, errors="strict")
    except safefs.UnsafeFile as exc:
        raise ConfigError(f"cannot read config file: {exc.strerror}", str(path)) from exc
    except OSError as exc:
        raise ConfigError(f"cannot read config file: {exc.strerror or exc}", str(path)) from exc
    except ValueError as exc:  # a bad CODI_MAX_FILE_SIZE
        raise ConfigError(str(exc)) from exc


def _load_toml(path: Path, text: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        # tomllib's message already ends with "(at line N, column M)"
        raise ConfigError(f"invalid TOML: {exc}", str(path)) from exc


def pyproject_has_codi(path: Path) -> bool:
    """True if a pyproject.toml has a `[tool.codi]` table (an unreadable one counts, to report it)."""
    try:
        text = safefs.read_text(path, errors="strict")
    except (OSError, ValueError):
        return False
    if "codi" not in text:
        return False
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return "[tool.codi" in text
    tool = data.get("tool")
    return isinstance(tool, dict) and "codi" in tool


def load_codi(path: Path, root: Path | None = None) -> ConfigLayer:
    """`.codi.toml` (top-level keys) or a `pyproject.toml` (its `[tool.codi]` table)."""
    text = _read(path, root)
    data = _load_toml(path, text)
    prefix = ""
    if path.name == "pyproject.toml":
        tool = data.get("tool", {})
        data = tool.get("codi", {}) if isinstance(tool, dict) else {}
        prefix = "tool.codi."
    if not isinstance(data, dict):
        raise ConfigError("`[tool.codi]` must be a table", str(path))
    lint = data.get("lint")
    if isinstance(lint, dict):
        data = {**{k: v for k, v in data.items() if k != "lint"}, **lint}
    return codi_layer(data, Checker(str(path), text), prefix)


def codi_layer(data: dict[str, Any], check: Checker, prefix: str = "") -> ConfigLayer:
    layer = ConfigLayer(check.source)
    for key, value in data.items():
        name = prefix + key
        if key not in CODI_KEYS:
            known = ", ".join(sorted(CODI_KEYS))
            raise check.fail(key, f"unknown setting `{name}` (known: {known})")
        if key == "select":
            layer.select = check.codes(name, value)
        elif key == "extend-select":
            layer.extend_select = check.codes(name, value)
        elif key == "ignore":
            layer.ignore = check.codes(name, value)
        elif key == "failure-threshold":
            layer.failure_threshold = check.threshold(name, value)
        elif key == "no-fail":
            layer.no_fail = check.boolean(name, value)
        elif key == "severity":
            if not isinstance(value, dict):
                raise check.fail(key, f"`{name}` must be a table of CODE = \"level\"")
            layer.severity = {str(k).upper(): check.level(f"{name}.{k}", v) for k, v in value.items()}
        elif key == "trusted-registries":
            layer.trusted_registries = check.strings(name, value)
        elif key == "label-schema":
            layer.label_schema = check.label_schema(name, value)
        elif key == "strict-labels":
            layer.strict_labels = check.boolean(name, value)
        elif key == "max-file-size":
            layer.max_file_size = check.size(name, value)
        elif key == "bundles" and not isinstance(value, dict):
            raise check.fail(key, f"`{name}` must be a table (trusted_keys = [\"base64...\"])")
        elif key == "bases" and not isinstance(value, dict):
            raise check.fail(key, f"`{name}` must be a table of IMAGE = \"REPLACEMENT\"")
    return layer


def load_hadolint(path: Path, root: Path | None = None) -> ConfigLayer:
    """A hadolint user's `.hadolint.yaml`, mapped onto CODI's settings."""
    import yaml  # here, not at the top: most runs read no YAML, and PyYAML takes ~30 ms to import

    text = _read(path, root)
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(f"invalid YAML: {problem}", str(path), line) from exc
    if data is None:
        return ConfigLayer(str(path))
    if not isinstance(data, dict):
        raise ConfigError("expected a mapping of settings at the top level", str(path), 1)
    check = Checker(str(path), text)
    layer = ConfigLayer(str(path), lenient=True)
    for key, value in data.items():
        if key == "ignored":
            layer.ignore = check.codes(key, value or [])
        elif key == "override":
            layer.severity = _hadolint_override(check, value or {})
        elif key == "trustedRegistries":
            layer.trusted_registries = check.strings(key, value or [])
        elif key == "failure-threshold":
            layer.failure_threshold = check.threshold(key, value)
        elif key == "label-schema":
            layer.label_schema = check.label_schema(key, value or {})
        elif key == "strict-labels":
            layer.strict_labels = check.boolean(key, value)
        elif key == "no-fail":
            layer.no_fail = check.boolean(key, value)
        elif key == "disable-ignore-pragma":
            layer.pragmas = not check.boolean(key, value)
        elif key == "format" and value is not None:
            layer.output_format = str(value).strip()
        elif key == "no-color":
            layer.no_color = check.boolean(key, value)
    return layer


def _hadolint_override(check: Checker, value: object) -> dict[str, str]:
    if not isinstance(value, dict):
        raise check.fail("override", "`override` must map error/warning/info/style to lists of codes")
    out: dict[str, str] = {}
    for level, codes in value.items():
        if level not in HADOLINT_LEVELS:
            raise check.fail(str(level), f"`override.{level}`: level must be one of {', '.join(HADOLINT_LEVELS)}")
        for code in check.codes(f"override.{level}", codes or []):
            out[code.upper()] = level
    return out


def load_file(path: Path, root: Path | None = None) -> ConfigLayer:
    """Any supported config file, by its name; ``root``: the folder a found file must not link out of."""
    if path.suffix in (".yaml", ".yml"):
        return load_hadolint(path, root)
    return load_codi(path, root)
