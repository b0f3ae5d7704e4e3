"""Lint settings as each source states them, and their merge (CLI > env > config file > default)."""

from __future__ import annotations

from dataclasses import dataclass, field

from codi.safefs import DEFAULT_MAX_BYTES

THRESHOLDS = ("error", "warning", "info", "style", "none")
LEVELS = ("error", "warning", "info", "style")
DEFAULT_THRESHOLD = "info"  # like hadolint: anything but style fails the run
MAX_MESSAGE = 240  # characters of a config error's message


class ConfigError(Exception):
    """A bad setting; ``str()`` is one line naming the file (and line where known)."""

    def __init__(self, message: str, source: str = "", line: int | None = None) -> None:
        if len(message) > MAX_MESSAGE:  # it may quote a value from the file: a short excerpt at most
            message = message[: MAX_MESSAGE - 1] + "…"
        where = source + (f":{line}" if line else "")
        super().__init__(f"{where}: {message}" if where else message)
        self.source = source
        self.line = line


@dataclass(slots=True)
class ConfigLayer:
    """What one source (a file, the environment, the command line) says; None = not set."""

    source: str
    select: list[str] | None = None
    extend_select: list[str] = field(default_factory=list)
    ignore: list[str] = field(default_factory=list)
    failure_threshold: str | None = None
    no_fail: bool | None = None
    severity: dict[str, str] = field(default_factory=dict)  # code/prefix/name -> level
    trusted_registries: list[str] | None = None
    label_schema: dict[str, str] | None = None
    strict_labels: bool | None = None
    pragmas: bool | None = None  # False: ignore `# hadolint ignore=` / `# codi: ignore=` comments
    output_format: str | None = None  # hadolint's `format:` key: the format when -f is not given
    no_color: bool | None = None  # hadolint's `no-color:` key
    max_file_size: int | None = None  # bytes: a larger Dockerfile is an input error (codi.safefs)
    lenient: bool = False  # unknown codes are skipped, not errors (hadolint configs name codes CODI lacks)
    # Found in the project (not given by the user): it may lower the input size limit, never raise it,
    # since a checkout CODI lints is not the operator.
    project: bool = False

    def is_empty(self) -> bool:
        return self == ConfigLayer(self.source, lenient=self.lenient, project=self.project)


@dataclass(slots=True)
class LintSettings:
    """The merged settings for one file (or one run)."""

    layers: list[ConfigLayer] = field(default_factory=list)
    failure_threshold: str = DEFAULT_THRESHOLD
    no_fail: bool = False
    severity: dict[str, str] = field(default_factory=dict)
    trusted_registries: list[str] = field(default_factory=list)
    label_schema: dict[str, str] = field(default_factory=dict)
    strict_labels: bool = False
    pragmas: bool = True
    output_format: str | None = None
    no_color: bool = False
    max_file_bytes: int = DEFAULT_MAX_BYTES

    @property
    def sources(self) -> list[str]:
        """Where the settings came from, lowest precedence first."""
        return [layer.source for layer in self.layers]


def merge(layers: list[ConfigLayer]) -> LintSettings:
    """Later layers win; selection layers are kept in order for the selector logic."""
    out = LintSettings(layers=[layer for layer in layers if not layer.is_empty()])
    for layer in out.layers:
        if layer.failure_threshold is not None:
            out.failure_threshold = layer.failure_threshold
        if layer.no_fail is not None:
            out.no_fail = layer.no_fail
        out.severity.update(layer.severity)
        if layer.trusted_registries is not None:
            out.trusted_registries = list(layer.trusted_registries)
        if layer.label_schema is not None:
            out.label_schema = dict(layer.label_schema)
        if layer.strict_labels is not None:
            out.strict_labels = layer.strict_labels
        if layer.pragmas is not None:
            out.pragmas = layer.pragmas
        if layer.output_format is not None:
            out.output_format = layer.output_format
        if layer.no_color is not None:
            out.no_color = layer.no_color
        if layer.max_file_size is not None:
            out.max_file_bytes = (min(out.max_file_bytes, layer.max_file_size) if layer.project
                                  else layer.max_file_size)
    return out
