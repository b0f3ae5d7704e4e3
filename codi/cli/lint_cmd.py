"""`codi lint PATH...`: a thin skin over ``codi.service.lint``."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated

import typer

from codi.cli.app import app
from codi.cli.output import (
    FORMAT_NAMES,
    JOBS_HELP,
    THRESHOLD_NAMES,
    _codes,
    _fail,
    _report,
    build_args,
    jobs_count,
)

if TYPE_CHECKING:
    from codi.service.lint import LintOutcome, LintRequest, Progress

PROGRESS_MIN_FILES = 20


def _read_stdin() -> str:
    buffer = getattr(sys.stdin, "buffer", None)
    if buffer is None:
        return sys.stdin.read()
    data: bytes = buffer.read()
    return data.decode("utf-8", "surrogateescape")  # like files: undecodable bytes survive


@app.command("lint")
def lint_cmd(
    ctx: typer.Context,
    paths: Annotated[
        list[str],
        typer.Argument(
            help="Dockerfiles or folders to search (Dockerfile, Dockerfile.*, *.Dockerfile, Containerfile); - for stdin."
        ),
    ],
    format: Annotated[str, typer.Option("--format", "-f", help=f"Output format: {', '.join(FORMAT_NAMES)}.")] = "tty",
    select: Annotated[
        list[str] | None,
        typer.Option(help="Only these rules: codes, prefixes (DL30, SC), names or ALL. Replaces the default set."),
    ] = None,
    extend_select: Annotated[list[str] | None, typer.Option(help="Add rules to the selected set.")] = None,
    ignore: Annotated[list[str] | None, typer.Option(help="Rules not to report (codes, prefixes or names).")] = None,
    failure_threshold: Annotated[
        str | None,
        typer.Option(
            "--failure-threshold",
            "-t",
            help="Exit 1 when a finding is at or above this level: error, warning, info (default), style, none.",
        ),
    ] = None,
    no_fail: Annotated[bool, typer.Option("--no-fail", help="Exit 0 whatever is found.")] = False,
    config: Annotated[
        str | None, typer.Option("--config", help="Settings file to use instead of searching for one.")
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Findings only: no summary or notices.")] = False,
    fix: Annotated[bool, typer.Option("--fix", help="Apply safe fixes (verified), then report what is left.")] = False,
    unsafe_fixes: Annotated[
        bool, typer.Option("--unsafe-fixes", help="With --fix or --diff: also fixes that change behaviour.")
    ] = False,
    diff: Annotated[bool, typer.Option("--diff", help="Print the fixes as a unified diff; write nothing.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Same as --format json.")] = False,
    build_arg: Annotated[
        list[str] | None,
        typer.Option(
            "--build-arg",
            help="NAME=VALUE as `docker build --build-arg` gives it (repeatable; NAME alone takes it from the "
            "environment): ARG values the checks see. BuildKit's InvalidDefaultArgInFrom still judges defaults only.",
        ),
    ] = None,
    jobs: Annotated[int | None, typer.Option("--jobs", "-j", help=JOBS_HELP)] = None,
    no_cache: Annotated[
        bool,
        typer.Option(
            "--no-cache",
            help="Run ShellCheck on every script afresh: do not read or write its result cache "
            "(in $CODI_CACHE_DIR, else $XDG_CACHE_HOME/codi, else ~/.cache/codi). Same as CODI_NO_CACHE=1.",
        ),
    ] = False,
) -> None:
    """Lint Dockerfiles: hadolint's DL rules, BuildKit's checks, ShellCheck and CODI's size rules."""
    from codi.service.lint import LintRequest, LintUsageError

    if no_cache:  # for this command only (in-process callers such as tests run others after it)
        from codi.rules.shellcheck.cache import disabled

        ctx.with_resource(disabled())

    if as_json:
        format = "json"

    if fix or diff:
        from codi.cli.fix_cmd import run_fix  # `codi lint --fix` is `codi fix`

        raise typer.Exit(
            run_fix(list(paths), unsafe=unsafe_fixes, diff=diff, format=format, select=select,
                    extend_select=extend_select, ignore=ignore, failure_threshold=failure_threshold,
                    no_fail=no_fail, config=config, quiet=quiet, jobs=jobs)
        )
    if unsafe_fixes:
        raise _fail("--unsafe-fixes only applies with --fix or --diff")
    if format not in FORMAT_NAMES:
        raise _fail(f"unknown format {format!r} (choose from {', '.join(FORMAT_NAMES)})")
    if failure_threshold is not None and failure_threshold.lower() not in THRESHOLD_NAMES:
        raise _fail(f"unknown failure threshold {failure_threshold!r} (choose from {', '.join(THRESHOLD_NAMES)})")
    request = LintRequest(
        paths=list(paths),
        select=_codes(select) if select else None,
        extend_select=_codes(extend_select),
        ignore=_codes(ignore),
        failure_threshold=failure_threshold.lower() if failure_threshold else None,
        no_fail=True if no_fail else None,
        config_file=config,
        stdin_text=_read_stdin() if "-" in paths else None,
        build_args=build_args(build_arg or []),
        jobs=jobs_count(jobs),
    )
    try:
        outcome = _run_with_progress(request, quiet)
    except LintUsageError as exc:
        raise _fail(str(exc)) from None
    _report(outcome, format, quiet)
    raise typer.Exit(outcome.exit_code)


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
