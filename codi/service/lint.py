"""Linting as a service: find files, resolve settings, run the engine, decide the exit code.

The CLI (and later the HTTP API) call only ``run_lint``; it never prints and never exits.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from codi import safefs
from codi.config import ConfigError, ConfigLayer, ConfigResolver, LintSettings
from codi.parser.model import Dockerfile
from codi.parser.semantic import Model
from codi.rules.base import Rule, RuleConfig, Severity
from codi.rules.engine import Engine, FileInput, FileSettings, LintResult
from codi.rules.registry import all_rules
from codi.rules.selection import Selection, SelectionLayer, UnknownSelector
from codi.service.errors import LintUsageError

STDIN = "-"
# Folders never searched when walking a directory (hidden ones are skipped too).
SKIP_DIRS = frozenset({"node_modules", "__pycache__", "venv", "site-packages", "bower_components", "vendor"})
# `Dockerfile.*` names that are not Dockerfiles: templates, backups, docs.
NOT_DOCKERFILE_SUFFIXES = frozenset(
    {".j2", ".jinja", ".jinja2", ".tmpl", ".tpl", ".template", ".orig", ".bak", ".swp", ".rej", ".md", ".txt",
     ".dockerignore", ".json", ".yml", ".yaml", ".toml", ".sh", ".py", ".patch", ".diff", ".lock"}
)
DOCKERFILE_NAMES = "Dockerfile, Dockerfile.*, Dockerfile-*, Dockerfile_*, *.Dockerfile, Containerfile(.*, -*, _*), *.containerfile"
_THRESHOLD_RANK = {"error": 3, "warning": 2, "info": 1, "style": 0}

Progress = Callable[[str, int, int], None]  # (path just linted, files done, files in all)




@dataclass(slots=True)
class LintRequest:
    paths: list[str]
    select: list[str] | None = None
    extend_select: list[str] = field(default_factory=list)
    ignore: list[str] = field(default_factory=list)
    failure_threshold: str | None = None
    no_fail: bool | None = None
    config_file: str | None = None
    stdin_text: str | None = None  # the text of path "-"
    stdin_filename: str | None = None  # `--stdin-filename`: the name "-" is shown under, settings searched from
    env: Mapping[str, str] | None = None  # defaults to os.environ
    discover_config: bool = True  # False: ignore config files around the paths (or the cwd for "-")
    build_args: dict[str, str] = field(default_factory=dict)  # `--build-arg NAME=VALUE`, for every file
    jobs: int = 1  # worker processes (`--jobs`); the output is the same for any number
    severity: dict[str, str] = field(default_factory=dict)  # `--error/--warning/--info/--style CODE`
    trusted_registries: list[str] | None = None  # `--trusted-registry`
    label_schema: dict[str, str] | None = None  # `--require-label LABEL:FORMAT`
    strict_labels: bool | None = None
    pragmas: bool | None = None  # False: `--disable-ignore-pragma`
    confine_to: str | None = None  # every file must lie inside this folder (a scanned repository)
    max_file_size: int | None = None  # `--max-file-size`: bytes (codi.safefs); None: env, config, default
    # Trees the caller already parsed (parse_syntax): a file whose path and text match one is not parsed again.
    parsed: list[Dockerfile] = field(default_factory=list)
    models: list[Model] = field(default_factory=list)  # models of those trees: not built again when they fit


@dataclass(slots=True)
class LintOutcome:
    result: LintResult
    exit_code: int
    input_errors: list[str] = field(default_factory=list)  # unreadable or missing paths
    config_sources: list[str] = field(default_factory=list)  # files, "environment", "command line"
    settings: dict[str, LintSettings] = field(default_factory=dict)  # per linted file


def is_dockerfile_name(name: str) -> bool:
    """A folder search lints these names (any case): ``Dockerfile``, ``Dockerfile.prod``, ``Dockerfile-prod``,
    ``Dockerfile_dev``, ``prod.Dockerfile``, the same with ``Containerfile``; not templates, backups or docs."""
    low = name.lower()
    if low in ("dockerfile", "containerfile"):
        return True
    if low.startswith(("dockerfile.", "containerfile.", "dockerfile-", "containerfile-", "dockerfile_",
                       "containerfile_")):
        return os.path.splitext(low)[1] not in NOT_DOCKERFILE_SUFFIXES
    return low.endswith((".dockerfile", ".containerfile"))


@dataclass(frozen=True, slots=True)
class Found:
    """A file to lint; ``root`` is the folder it must stay inside (None: a file named by the user)."""

    path: str
    root: str | None = None


def find_files(paths: list[str], confine_to: str | None = None,
               require_found: bool = False) -> tuple[list[Found], list[str]]:
    """(files to lint, error messages). Directories are walked and what is found there must stay inside
    them (or inside ``confine_to``, which then holds for named files too); files named on the command line
    are linted whatever their name. ``require_found``: a folder without Dockerfiles is an error (`codi lint
    empty/` exits 2), not a silent pass."""
    files: list[Found] = []
    errors: list[str] = []
    seen: set[str] = set()

    def add(path: str, root: str | None) -> None:
        key = path if path == STDIN else os.path.realpath(path)
        if key not in seen:
            seen.add(key)
            files.append(Found(path, confine_to or root))

    for raw in paths:
        if raw == STDIN:
            add(STDIN, None)
            continue
        if "\x00" in raw:
            errors.append(f"{raw!r}: a path with a NUL byte")
            continue
        path = os.path.normpath(raw)
        if os.path.isdir(path):
            matched = 0
            for root, dirs, names in os.walk(path, onerror=lambda e: errors.append(_os_message(e))):
                dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in SKIP_DIRS)
                for name in sorted(names):
                    if is_dockerfile_name(name):
                        matched += 1
                        add(os.path.normpath(os.path.join(root, name)), path)
            if require_found and not matched:
                errors.append(f"{raw}: no Dockerfiles found in this folder (looked for {DOCKERFILE_NAMES})")
        elif os.path.lexists(path):  # a link that loops or points nowhere is reported when it is read
            add(path, None)
        else:
            errors.append(f"{raw}: no such file or directory")
    return files, errors


def discover(paths: list[str], require_found: bool = False) -> tuple[list[str], list[str]]:
    """``find_files`` as paths only."""
    found, errors = find_files(paths, require_found=require_found)
    return [f.path for f in found], errors


def _os_message(exc: OSError) -> str:
    return f"{exc.filename}: {exc.strerror or exc}"


def _cli_layer(req: LintRequest) -> ConfigLayer:
    return ConfigLayer(
        "command line",
        select=req.select,
        extend_select=list(req.extend_select),
        ignore=list(req.ignore),
        failure_threshold=req.failure_threshold,
        no_fail=req.no_fail,
        severity=dict(req.severity),
        trusted_registries=req.trusted_registries,
        label_schema=req.label_schema,
        strict_labels=req.strict_labels,
        pragmas=req.pragmas,
        max_file_size=req.max_file_size,
    )


# Building a Selection and resolving every rule against it costs more than linting a small file, and a
# service sees the same few settings over and over: keep the last few, keyed on the settings' content.
_MEMO_SIZE = 64
_memo: OrderedDict[tuple[str, tuple[type[Rule], ...]], FileSettings] = OrderedDict()
_memo_lock = threading.Lock()


def file_settings(settings: LintSettings, rules: list[type[Rule]]) -> FileSettings:
    """The engine's view of merged settings; unknown selectors become a ConfigError.

    Memoized on the settings' full content (``repr`` of the dataclass covers every layer and field),
    so a changed config file gives a new entry. The result is shared: callers must not mutate it.
    """
    key = (repr(settings), tuple(rules))
    with _memo_lock:
        found = _memo.get(key)
        if found is not None:
            _memo.move_to_end(key)
            return found
    built = _build_file_settings(settings, rules)
    with _memo_lock:
        _memo[key] = built
        while len(_memo) > _MEMO_SIZE:
            _memo.popitem(last=False)
    return built


def _build_file_settings(settings: LintSettings, rules: list[type[Rule]]) -> FileSettings:
    layers = [
        SelectionLayer(
            None if layer.select is None else tuple(layer.select),
            tuple(layer.extend_select),
            tuple(layer.ignore),
            layer.source,
            layer.lenient,
        )
        for layer in settings.layers
    ]
    try:
        selection = Selection(layers, rules)
        severity: dict[str, Severity] = {}
        for layer in settings.layers:
            for key, level in layer.severity.items():
                try:
                    severity[selection.normalize(key, layer.source)] = Severity(level)
                except UnknownSelector:
                    if not layer.lenient:
                        raise
    except UnknownSelector as exc:
        raise _selector_error(exc) from exc
    rule_config = RuleConfig(
        trusted_registries=list(settings.trusted_registries),
        label_schema=dict(settings.label_schema),
        strict_labels=settings.strict_labels,
    )
    return FileSettings(selection, severity, rule_config, settings.pragmas)


def _selector_error(exc: UnknownSelector) -> ConfigError:
    """Point at the config file line that names the unknown selector, where there is one."""
    source = exc.where
    if not os.path.isfile(source):
        return ConfigError(exc.reason, source)
    try:
        lines = Path(source).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        lines = []
    line = next((i for i, text in enumerate(lines, 1) if exc.token in text), None)
    return ConfigError(exc.reason, source, line)


def binary_line(text: str) -> int | None:
    """The line of the first NUL character, or None: a Dockerfile never holds one, a binary file
    (an image, an archive, a UTF-16 text) nearly always does."""
    at = text.find("\x00")
    return None if at < 0 else text.count("\n", 0, at) + 1


def binary_message(path: str, line: int) -> str:
    return f"{path}:{line}: binary data (a NUL byte), not a Dockerfile"


def _read(found: Found, stdin_text: str | None, limit: int) -> str:
    if found.path == STDIN:
        text = stdin_text or ""
        if len(text) > limit:  # characters, not bytes: close enough to refuse what is far too large
            raise safefs.too_large("<stdin>", limit)
        return text
    return safefs.read_text(found.path, found.root, limit)


def run_lint(req: LintRequest, progress: Progress | None = None) -> LintOutcome:
    """Lint ``req.paths``. Raises LintUsageError for bad settings (nothing linted)."""
    if not req.paths:
        raise LintUsageError("no paths given")
    rules = all_rules()
    cli = _cli_layer(req)
    try:
        resolver = ConfigResolver(cli, req.config_file, req.env, req.discover_config)
    except ConfigError as exc:
        raise LintUsageError(str(exc)) from exc
    found, input_errors = find_files(req.paths, req.confine_to, require_found=True)
    inputs: list[FileInput] = []
    per_file: dict[str, LintSettings] = {}
    by_settings: dict[int, FileSettings] = {}
    for item in found:
        path = item.path
        shown = req.stdin_filename if path == STDIN and req.stdin_filename else path
        folder = (Path(shown).parent if shown != STDIN else Path.cwd()) if path == STDIN else Path(path).parent
        try:
            settings = resolver.for_folder(folder)
            if id(settings) not in by_settings:
                by_settings[id(settings)] = file_settings(settings, rules)
        except ConfigError as exc:
            raise LintUsageError(str(exc)) from exc
        try:
            text = _read(item, req.stdin_text, settings.max_file_bytes)
        except OSError as exc:
            input_errors.append(f"{path}: cannot read: {exc.strerror or exc}")
            continue
        line = binary_line(text)
        if line is not None:
            input_errors.append(binary_message("<stdin>" if shown == STDIN else shown, line))
            continue
        per_file[shown] = settings
        context_dir = None if path == STDIN else Path(path).parent
        syntax = next((d for d in req.parsed if d.path == shown and d.text == text), None)
        model = next((m for m in req.models if m.dockerfile is syntax), None) if syntax is not None else None
        inputs.append(FileInput(shown, text, by_settings[id(settings)], context_dir, req.build_args, syntax=syntax,
                                model=model))
    total = len(inputs)
    done = 0

    def on_file(path: str) -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(path, done, total)

    if req.jobs > 1:
        # here, not at the top: the pool's modules (multiprocessing, the fixer) cost every run start-up time
        from codi.service.lint_jobs import lint_inputs

        result = lint_inputs(rules, inputs, on_file, req.jobs)
    else:
        result = Engine(rules).lint(inputs, on_file)
    sources = list(resolver.used)
    if not resolver.hadolint_env_layer.is_empty():
        sources.append(resolver.hadolint_env_layer.source)
    if not resolver.env_layer.is_empty():
        sources.append("environment")
    if not cli.is_empty():
        sources.append("command line")
    outcome = LintOutcome(result, 0, input_errors, sources, per_file)
    outcome.exit_code = exit_code(outcome)
    return outcome


def exit_code(outcome: LintOutcome) -> int:
    """3 if the lint failed inside (a rule or the parser crashed: the findings may be incomplete, so
    neither ``--no-fail`` nor a threshold makes it a pass); 2 if a path could not be read; 1 if a
    finding reaches its file's failure threshold; else 0."""
    if outcome.result.failed:
        return 3
    if outcome.input_errors:
        return 2
    for f in outcome.result.findings:
        settings = outcome.settings.get(f.file)
        if settings is None or settings.no_fail or settings.failure_threshold == "none":
            continue
        if f.severity.rank >= _THRESHOLD_RANK[settings.failure_threshold]:
            return 1
    return 0
