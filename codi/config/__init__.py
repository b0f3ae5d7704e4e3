"""Settings loading: `.codi.toml`, `[tool.codi]` in `pyproject.toml`, `.hadolint.yaml`, CODI_* env vars."""

from codi.config.discover import ConfigResolver, env_layer, find_config_files
from codi.config.files import load_codi, load_file, load_hadolint
from codi.config.model import (
    DEFAULT_THRESHOLD,
    LEVELS,
    THRESHOLDS,
    ConfigError,
    ConfigLayer,
    LintSettings,
    merge,
)

__all__ = [
    "DEFAULT_THRESHOLD",
    "LEVELS",
    "THRESHOLDS",
    "ConfigError",
    "ConfigLayer",
    "ConfigResolver",
    "LintSettings",
    "env_layer",
    "find_config_files",
    "load_codi",
    "load_file",
    "load_hadolint",
    "merge",
]
