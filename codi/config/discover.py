"""Finding the config files that apply to a folder, and building each file's settings.

From the linted file's folder upward (stopping at the repository root, the folder with `.git`,
or the filesystem root): the nearest `.codi.toml` (or `pyproject.toml` with `[tool.codi]`) and
the nearest `.hadolint.yaml`/`.hadolint.yml`. Both apply, CODI's own over hadolint's.
`--config FILE` (or `CODI_CONFIG`) replaces the search. Where no `.hadolint.yaml` is found, the
first of hadolint's own global locations applies (`./.hadolint.yaml`, `$XDG_CONFIG_HOME/hadolint.yaml`,
`~/.config/hadolint.yaml`, ... see ``hadolint_env.global_config_files``).
Environment: `HADOLINT_*` (hadolint's variables) below `CODI_*`, both below the command line.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from codi.config.files import load_file, pyproject_has_codi
from codi.config.hadolint_env import first_global_config, hadolint_env_layer
from codi.config.model import ConfigError, ConfigLayer, LintSettings, merge
from codi.config.values import Checker, split_list

ENV_PREFIX = "CODI_"


def find_config_files(folder: Path) -> list[Path]:
    """Config files for files in ``folder``, lowest precedence first."""
    codi: Path | None = None
    hadolint: Path | None = None
    current = folder.resolve()
    while True:
        if codi is None:
            if (current / ".codi.toml").is_file():
                codi = current / ".codi.toml"
            elif (current / "pyproject.toml").is_file() and pyproject_has_codi(current / "pyproject.toml"):
                codi = current / "pyproject.toml"
        if hadolint is None:
            for name in (".hadolint.yaml", ".hadolint.yml"):
                if (current / name).is_file():
                    hadolint = current / name
                    break
        if (codi and hadolint) or (current / ".git").exists() or current.parent == current:
            break
        current = current.parent
    return [p for p in (hadolint, codi) if p is not None]


def env_layer(env: Mapping[str, str]) -> ConfigLayer:
    """Settings from CODI_* environment variables."""
    layer = ConfigLayer("environment")
    check = Checker("", "")

    def get(name: str) -> str | None:
        value = env.get(ENV_PREFIX + name)
        return value if value not in (None, "") else None

    try:
        if (v := get("SELECT")) is not None:
            layer.select = split_list(v)
        if (v := get("EXTEND_SELECT")) is not None:
            layer.extend_select = split_list(v)
        if (v := get("IGNORE")) is not None:
            layer.ignore = split_list(v)
        if (v := get("FAILURE_THRESHOLD")) is not None:
            layer.failure_threshold = check.threshold("CODI_FAILURE_THRESHOLD", v)
        if (v := get("NO_FAIL")) is not None:
            layer.no_fail = _env_bool("CODI_NO_FAIL", v)
        if (v := get("TRUSTED_REGISTRIES")) is not None:
            layer.trusted_registries = split_list(v)
        if (v := get("MAX_FILE_SIZE")) is not None:
            layer.max_file_size = check.size("CODI_MAX_FILE_SIZE", v)
    except ConfigError as exc:
        raise ConfigError(f"environment variable {exc}") from exc
    return layer


def _env_bool(name: str, value: str) -> bool:
    low = value.strip().lower()
    if low in ("1", "true", "yes", "on"):
        return True
    if low in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"environment variable {name} must be true or false, got {value!r}")


class ConfigResolver:
    """Builds (and caches) the settings of each folder: files < environment < command line."""

    def __init__(
        self,
        cli: ConfigLayer,
        config_file: str | None = None,
        env: Mapping[str, str] | None = None,
        discover: bool = True,
    ) -> None:
        self.discover = discover  # False: no config files from the folders (text sent to the API)
        self.env = os.environ if env is None else env
        self.cli = cli
        self.hadolint_env_layer = hadolint_env_layer(self.env)
        self.env_layer = env_layer(self.env)
        self.cwd = Path.cwd()
        explicit = config_file or self.env.get(ENV_PREFIX + "CONFIG") or None
        self.explicit: list[ConfigLayer] | None = None
        if explicit:
            path = Path(explicit)
            if not path.is_file():
                raise ConfigError("config file not found", explicit)
            self.explicit = [load_file(path)]
        self._by_folder: dict[Path, LintSettings] = {}
        self._resolved: dict[Path, Path] = {}  # resolving a folder costs a system call per part: once a run
        self._by_file: dict[Path, ConfigLayer] = {}
        self.used: list[str] = []  # config files actually applied, in the order first used

    def for_folder(self, folder: Path) -> LintSettings:
        key = self._resolved.get(folder)
        if key is None:
            key = self._resolved[folder] = folder.resolve()
        if key not in self._by_folder:
            if self.explicit is not None:
                files = self.explicit
            elif self.discover:
                found = find_config_files(key)
                files = [self._load(p, p.parent, project=True) for p in found]  # confined to its folder
                if not any(p.suffix in (".yaml", ".yml") for p in found):
                    fallback = first_global_config(self.env, self.cwd)  # the user's own: read as it is,
                    if fallback:  # except ./.hadolint.yaml, which a checkout holds
                        files = [self._load(fallback, self.cwd if fallback.parent == self.cwd else None), *files]
            else:
                files = []
            for layer in files:
                if layer.source not in self.used:
                    self.used.append(layer.source)
            self._by_folder[key] = merge([*files, self.hadolint_env_layer, self.env_layer, self.cli])
        return self._by_folder[key]

    def _load(self, path: Path, root: Path | None = None, project: bool = False) -> ConfigLayer:
        if path not in self._by_file:
            self._by_file[path] = load_file(path, root)
            self._by_file[path].project = project
        return self._by_file[path]
