"""`codi lint PATH...`: a thin skin over ``codi.service.lint``.

It also takes hadolint's command line (`-c`, `--error CODE`, `--trusted-registry`, `--require-label`,
`HADOLINT_FORMAT` ...; docs/hadolint.md) and ruff's habits (`--statistics`, `--output-file`,
`--stdin-filename`, `--show-settings`, `--color`, a baseline).
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Annotated

import typer

from codi.cli.app import app
from codi.cli.output import (
    FORMAT_NAMES,
    JOBS_HELP,
    MAX_FILE_SIZE_HELP,
    THRESHOLD_NAMES,
    _codes,
    _fail,
    _report,
    build_args,
    jobs_count,
    parse_max_file_size,
)

if TYPE_CHECKING:
    from codi.service.lint import LintOutcome, LintRequest, Progress

PROGRESS_MIN_FILES = 20
# Formats read by a service that takes any failure status as a broken tool: findings exit 0, as with hadolint.
NEVER_FAIL_FORMATS = ("codeclimate", "codacy")


def _read_stdin(flag: int | None) -> str:
    """Standard input, read no further than the input size limit (`codi lint - < /dev/zero` ends)."""
    from codi.safefs import max_file_bytes, too_large

    try:
        limit = flag or max_file_bytes()
    except ValueError as exc:  # a bad CODI_MAX_FILE_SIZE
        raise _fail(str(exc)) from None
    buffer = getattr(sys.stdin, "buffer", None)
    data: bytes | str = buffer.read(limit + 1) if buffer is not None else sys.stdin.read(limit + 1)
    if len(data) > limit:
        raise _fail(str(too_large("<stdin>", limit)))
    if isinstance(data, str):
        return data
    return data.decode("utf-8", "surrogateescape")  # like files: undecodable bytes survive


def _levels(error: list[str] | None, warning: list[str] | None, info: list[str] | None,
            style: list[str] | None) -> dict[str, str]:
    """hadolint's `--error/--warning/--info/--style CODE`: that rule's level (the last one given wins)."""
    out: dict[str, str] = {}
    for level, codes in (("style", style), ("info", info), ("warning", warning), ("error", error)):
        out.update({code.upper(): level for code in _codes(codes)})
    return out


def _labels(values: list[str] | None) -> dict[str, str] | None:
    if not values:
        return None
    from codi.config.model import ConfigError
    from codi.config.values import label_schema_items

    try:
        return label_schema_items("--require-label", _codes(values))
    except ConfigError as exc:
        raise _fail(str(exc)) from None


@app.command("lint")
def lint_cmd(
    ctx: typer.Context,
    paths: Annotated[list[str], typer.Argument(
        metavar="PATH...", show_default=False,
        help="Dockerfiles or folders to search (Dockerfile, Dockerfile.*, Dockerfile-*, Dockerfile_*, "
             "*.Dockerfile, Containerfile*, *.containerfile); - for stdin.")],
    format: Annotated[str | None, typer.Option(
        "--format", "--output-format", "-f", metavar="FORMAT", show_default=False,
        help=f"Output format: {', '.join(FORMAT_NAMES)}. Default tty, or $HADOLINT_FORMAT.")] = None,
    select: Annotated[list[str] | None, typer.Option(
        metavar="CODE", show_default=False,
        help="Only these rules: codes, prefixes (DL30, SC), names or ALL. Replaces the default set.")] = None,
    extend_select: Annotated[list[str] | None, typer.Option(
        metavar="CODE", show_default=False, help="Add rules to the selected set.")] = None,
    ignore: Annotated[list[str] | None, typer.Option(
        metavar="CODE", show_default=False, help="Rules not to report (codes, prefixes or names).")] = None,
    failure_threshold: Annotated[str | None, typer.Option(
        "--failure-threshold", "-t", metavar="LEVEL", show_default=False,
        help="Exit 1 when a finding is at or above this level: error, warning, info (default), style, "
             "none (ignore, hadolint's name below style, is style).")] = None,
    no_fail: Annotated[bool, typer.Option("--no-fail", help="Exit 0 whatever is found.")] = False,
    config: Annotated[str | None, typer.Option(
        "--config", "-c", metavar="FILE", show_default=False,
        help="Settings file (.codi.toml, pyproject.toml or .hadolint.yaml) instead of searching.")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Findings only: no summary or notices.")] = False,
    fix: Annotated[bool, typer.Option("--fix", help="Apply safe fixes (verified), then report what is left.")] = False,
    unsafe_fixes: Annotated[bool, typer.Option(
        "--unsafe-fixes", help="With --fix or --diff: also fixes that change behaviour.")] = False,
    diff: Annotated[bool, typer.Option("--diff", help="Print the fixes as a unified diff; write nothing.")] = False,
    as_json: Annotated[bool, typer.Option("--json", hidden=True, help="Same as --format json.")] = False,
    build_arg: Annotated[list[str] | None, typer.Option(
        "--build-arg", metavar="NAME=VALUE", show_default=False,
        help="ARG values the checks see, as `docker build --build-arg` gives them (repeatable; NAME alone takes "
             "it from the environment). BuildKit's InvalidDefaultArgInFrom still judges defaults only.")] = None,
    jobs: Annotated[int | None, typer.Option("--jobs", "-j", metavar="N", show_default=False, help=JOBS_HELP)] = None,
    max_file_size: Annotated[str | None, typer.Option(
        "--max-file-size", metavar="SIZE", show_default=False, help=MAX_FILE_SIZE_HELP)] = None,
    no_cache: Annotated[bool, typer.Option(
        "--no-cache", help="Run ShellCheck on every script afresh: do not read or write its result cache "
                           "(in $CODI_CACHE_DIR, else $XDG_CACHE_HOME/codi, else ~/.cache/codi). Same as CODI_NO_CACHE=1.")
    ] = False,
    # hadolint's options, same meaning (docs/hadolint.md)
    error: Annotated[list[str] | None, typer.Option(
        "--error", metavar="CODE", show_default=False, help="Report rule CODE as an error (hadolint).")] = None,
    warning: Annotated[list[str] | None, typer.Option(
        "--warning", metavar="CODE", show_default=False, help="Report rule CODE as a warning (hadolint).")] = None,
    info: Annotated[list[str] | None, typer.Option(
        "--info", metavar="CODE", show_default=False, help="Report rule CODE as info (hadolint).")] = None,
    style: Annotated[list[str] | None, typer.Option(
        "--style", metavar="CODE", show_default=False, help="Report rule CODE as style (hadolint).")] = None,
    trusted_registry: Annotated[list[str] | None, typer.Option(
        "--trusted-registry", metavar="REGISTRY", show_default=False,
        help="A registry FROM may pull from (DL3026; repeatable, e.g. docker.io).")] = None,
    require_label: Annotated[list[str] | None, typer.Option(
        "--require-label", metavar="LABEL:FORMAT", show_default=False,
        help="A label every image must have, in a format: text, url, email, semver, hash, rfc3339, spdx.")] = None,
    strict_labels: Annotated[bool, typer.Option(
        "--strict-labels", help="Report labels not named by --require-label / label-schema.")] = False,
    disable_ignore_pragma: Annotated[bool, typer.Option(
        "--disable-ignore-pragma", help="Ignore `# hadolint ignore=` and `# codi: ignore=` comments.")] = False,
    file_path_in_report: Annotated[str | None, typer.Option(
        "--file-path-in-report", metavar="PATH", show_default=False,
        help="Show the linted file under this path in every format (hadolint; for stdin or a container).")] = None,
    no_color: Annotated[bool, typer.Option("--no-color", help="Same as --color never.")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-V", help="Say which settings files were read.")] = False,
    # ruff's habits
    color: Annotated[str, typer.Option(
        "--color", metavar="WHEN", help="Colour the tty output: auto (a terminal, NO_COLOR unset), always, never.")
    ] = "auto",
    statistics: Annotated[bool, typer.Option("--statistics", help="Count findings per rule instead of listing them.")
                          ] = False,
    output_file: Annotated[str | None, typer.Option(
        "--output-file", "-o", metavar="FILE", show_default=False,
        help="Write the findings to FILE instead of standard output.")] = None,
    stdin_filename: Annotated[str | None, typer.Option(
        "--stdin-filename", metavar="PATH", show_default=False,
        help="The name standard input is shown under (and its settings are searched from).")] = None,
    show_settings: Annotated[bool, typer.Option(
        "--show-settings", help="Print the settings for the first PATH (files read, rules selected) and exit.")
    ] = False,
    baseline: Annotated[str | None, typer.Option(
        "--baseline", metavar="FILE", show_default=False,
        help="Report only findings that are not in FILE (written by --write-baseline).")] = None,
    show_fixes: Annotated[bool, typer.Option(
        "--show-fixes", help="After the findings, list each available fix and how safe it is; with --fix, the "
                             "fixes applied.")] = False,
    write_baseline: Annotated[str | None, typer.Option(
        "--write-baseline", metavar="FILE", show_default=False,
        help="Record today's findings in FILE (then exit 0); later runs with --baseline FILE report only new ones.")
    ] = None,
) -> None:
    """Lint Dockerfiles: hadolint's DL rules, BuildKit's checks, ShellCheck and CODI's size rules.

    Example: codi lint . --format sarif --output-file codi.sarif
    """
    from codi.rules.gc_pause import fewer_collections
    from codi.service.errors import LintUsageError
    from codi.service.lint import LintRequest

    ctx.with_resource(fewer_collections())  # the lint and its output: the collector's full passes cost most
    if no_cache:  # for this command only (in-process callers such as tests run others after it)
        from codi.rules.shellcheck.cache import disabled

        ctx.with_resource(disabled())
    fmt = "json" if as_json else format or _env_format() or "tty"  # a config file's `format:` may change "tty"
    if no_color:
        color = "never"
    if color not in ("auto", "always", "never"):
        raise _fail(f"--color {color!r}: choose from auto, always, never")
    if fix or diff:
        from codi.cli.fix_cmd import run_fix  # `codi lint --fix` is `codi fix`

        raise typer.Exit(
            run_fix(list(paths), unsafe=unsafe_fixes, diff=diff, format=fmt, select=select,
                    extend_select=extend_select, ignore=ignore, failure_threshold=failure_threshold,
                    no_fail=no_fail, config=config, quiet=quiet, jobs=jobs, color=color, show_fixes=show_fixes,
                    max_file_size=max_file_size)
        )
    if unsafe_fixes:
        raise _fail("--unsafe-fixes only applies with --fix or --diff")
    if fmt not in FORMAT_NAMES:
        raise _fail(f"unknown format {fmt!r} (choose from {', '.join(FORMAT_NAMES)})")
    if failure_threshold is not None and _threshold(failure_threshold) not in THRESHOLD_NAMES:
        raise _fail(f"unknown failure threshold {failure_threshold!r} (choose from {', '.join(THRESHOLD_NAMES)})")
    request = LintRequest(
        paths=list(paths),
        select=_codes(select) if select else None,
        extend_select=_codes(extend_select),
        ignore=_codes(ignore),
        failure_threshold=_threshold(failure_threshold),
        no_fail=True if no_fail else None,
        config_file=config,
        stdin_text=_read_stdin(parse_max_file_size(max_file_size)) if "-" in paths and not show_settings else None,
        stdin_filename=stdin_filename,
        build_args=build_args(build_arg or []),
        jobs=jobs_count(jobs),
        severity=_levels(error, warning, info, style),
        trusted_registries=_codes(trusted_registry) or None,
        label_schema=_labels(require_label),
        strict_labels=True if strict_labels else None,
        pragmas=False if disable_ignore_pragma else None,
        max_file_size=parse_max_file_size(max_file_size),
    )
    if show_settings:
        from codi.service.settings_view import show_settings as describe

        try:
            sys.stdout.write(describe(request))
        except LintUsageError as exc:
            raise _fail(str(exc)) from None
        raise typer.Exit(0)
    try:
        outcome = _run_with_progress(request, quiet)
    except LintUsageError as exc:
        raise _fail(str(exc)) from None
    if verbose or _env_verbose():
        sys.stderr.write(f"codi: settings from: {', '.join(outcome.config_sources) or 'defaults'}\n")
    if file_path_in_report:
        from codi.cli.lint_output import rename_file

        for path in list(outcome.result.files):
            rename_file(outcome.result, path, file_path_in_report)
    if not as_json and not format and not _env_format():
        fmt, color = _config_output(outcome, fmt, color)
    if write_baseline:
        _write_baseline(outcome, write_baseline, quiet)
        raise typer.Exit(0 if not outcome.input_errors else 2)
    if baseline:
        _apply_baseline(outcome, baseline, quiet)
    _report(outcome, fmt, quiet, color=color, output_file=output_file, stats=statistics)
    if show_fixes:
        from codi.cli.lint_output import fixes_text

        # machine formats keep stdout parseable: the list goes to stderr
        (sys.stdout if fmt in ("tty", "concise") and not output_file else sys.stderr).write(fixes_text(outcome.result))
    if fmt in NEVER_FAIL_FORMATS and outcome.exit_code == 1:
        raise typer.Exit(0)
    raise typer.Exit(outcome.exit_code)


def _threshold(value: str | None) -> str | None:
    if value is None:
        return None
    low = value.lower()
    return "style" if low == "ignore" else low  # hadolint's `-t ignore`: below style, so every finding fails


def _env_format() -> str | None:
    """hadolint's ``HADOLINT_FORMAT`` stands in for a missing ``--format``."""
    from codi.config.hadolint_env import hadolint_format

    return hadolint_format(os.environ)


def _config_output(outcome: LintOutcome, fmt: str, color: str) -> tuple[str, str]:
    """hadolint's `format:` and `no-color:` config keys, from the first linted file's settings, where
    neither -f nor HADOLINT_FORMAT chose (a `.codi.toml` has no such keys: CODI's formats are flags)."""
    first = next(iter(outcome.settings.values()), None)
    if first is None:
        return fmt, color
    if first.output_format:
        if first.output_format not in FORMAT_NAMES:
            raise _fail(f"format {first.output_format!r} in the config file: choose from {', '.join(FORMAT_NAMES)}")
        fmt = first.output_format
    if first.no_color and color == "auto":
        color = "never"
    return fmt, color


def _env_verbose() -> bool:
    return os.environ.get("HADOLINT_VERBOSE", "").strip().lower() in ("1", "true", "yes", "on", "y")


def _write_baseline(outcome: LintOutcome, path: str, quiet: bool) -> None:
    from codi.service.baseline import BaselineError, write_baseline

    try:
        count = write_baseline(outcome.result, path)
    except BaselineError as exc:
        raise _fail(str(exc)) from None
    for message in outcome.input_errors:
        sys.stderr.write(f"codi: error: {message}\n")
    if not quiet:
        sys.stderr.write(f"codi: wrote {count} finding(s) to the baseline {path}\n")


def _apply_baseline(outcome: LintOutcome, path: str, quiet: bool) -> None:
    from codi.service.baseline import BaselineError, filter_new
    from codi.service.lint import exit_code

    try:
        known = filter_new(outcome.result, path)
    except BaselineError as exc:
        raise _fail(str(exc)) from None
    outcome.exit_code = exit_code(outcome)
    if known and not quiet:
        sys.stderr.write(f"codi: {known} finding(s) already in the baseline {path} not shown\n")


def _run_with_progress(request: LintRequest, quiet: bool) -> LintOutcome:
    """Run the lint, with a progress bar on stderr for many files when stderr is a terminal."""
    from codi.service.lint import run_lint

    if quiet or not sys.stderr.isatty():
        return run_lint(request)
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, TextColumn
    from rich.progress import Progress as ProgressBar

    bar = ProgressBar(
        TextColumn("linting"), BarColumn(), MofNCompleteColumn(), console=Console(stderr=True), transient=True
    )
    task = None

    def on_file(path: str, done: int, total: int) -> None:
        nonlocal task
        if total <= PROGRESS_MIN_FILES:
            return
        if task is None:
            bar.start()
            task = bar.add_task("lint", total=total)
        bar.update(task, completed=done)

    callback: Progress = on_file
    try:
        return run_lint(request, callback)
    finally:
        if task is not None:
            bar.stop()
