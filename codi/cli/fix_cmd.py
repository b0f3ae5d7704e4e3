"""`codi fix PATH...` (= `codi lint --fix`): apply verified fixes, then report what is left."""

from __future__ import annotations

import os
import sys
from typing import Annotated

import typer

from codi.cli.app import app
from codi.cli.errors import fail
from codi.cli.output import (
    FORMAT_NAMES,
    JOBS_HELP,
    MAX_FILE_SIZE_HELP,
    THRESHOLD_NAMES,
    _codes,
    _report,
    _write,
    jobs_count,
    parse_max_file_size,
)


def run_fix(paths: list[str], *, unsafe: bool, diff: bool, format: str, select: list[str] | None,
            extend_select: list[str] | None, ignore: list[str] | None, failure_threshold: str | None,
            no_fail: bool, config: str | None, quiet: bool, jobs: int | None = None,
            risk_policy: str | None = None, color: str = "auto", show_fixes: bool = False,
            max_file_size: str | None = None) -> int:
    """Fix (or with ``diff`` only show) and return the exit code."""
    from codi.policy import PolicyError
    from codi.service.audit import resolve_policy

    try:  # --risk-policy, else CODI_RISK_POLICY; neither: safe fixes (and unsafe with --unsafe-fixes)
        policy = (resolve_policy(risk_policy, out=None, actor=os.environ.get("USER"), command="fix")
                  if risk_policy or os.environ.get("CODI_RISK_POLICY") else None)
    except PolicyError as exc:
        raise fail(str(exc)) from None
    from codi.service.errors import LintUsageError
    from codi.service.fix import fix_paths
    from codi.service.lint import LintRequest

    if "-" in paths:
        raise fail("--fix cannot rewrite standard input; give file paths (or use --diff with files)")
    if format not in FORMAT_NAMES:
        raise fail(f"unknown format {format!r} (choose from {', '.join(FORMAT_NAMES)})")
    if failure_threshold is not None and failure_threshold.lower() not in THRESHOLD_NAMES:
        raise fail(f"unknown failure threshold {failure_threshold!r} (choose from {', '.join(THRESHOLD_NAMES)})")
    request = LintRequest(paths=list(paths), select=_codes(select) if select else None,
                          extend_select=_codes(extend_select), ignore=_codes(ignore),
                          failure_threshold=failure_threshold.lower() if failure_threshold else None,
                          no_fail=True if no_fail else None, config_file=config, jobs=jobs_count(jobs),
                          max_file_size=parse_max_file_size(max_file_size))
    try:
        report = fix_paths(request, unsafe=unsafe, diff_only=diff, risk_policy=policy.name if policy else None)
    except LintUsageError as exc:
        raise fail(str(exc)) from None
    for item in report.files:
        for dropped in item.outcome.dropped:
            where = f"{item.path}:{dropped.line}" if dropped.line else item.path
            sys.stderr.write(f"codi: {where}: {dropped.code or 'fix'} not applied: {dropped.reason}\n")
        if item.error:
            sys.stderr.write(f"codi: error: {item.error}\n")
    if policy is not None:
        for finding in report.proposed:
            assert finding.fix is not None
            sys.stderr.write(f"codi: {finding.file}:{finding.line}: {finding.code} proposed, not applied "
                             f"(risk policy {policy.name}, {finding.fix.applicability.value} fix)\n")
    if diff:
        from codi.cli.lint_output import color_diff, use_color

        text = "".join(item.diff for item in report.changed)
        _write(color_diff(text) if use_color(color, sys.stdout) else text)
        if not quiet and report.lint is not None and report.lint.result.files:
            count = sum(len(i.outcome.applied) for i in report.changed)
            sys.stderr.write(f"codi: {count} fix(es) available in {len(report.changed)} file(s)"
                             f"{'' if unsafe else ' (more with --unsafe-fixes)'}\n" if count else
                             "codi: nothing to fix\n")
        lint = report.lint
        if lint is not None and lint.input_errors:
            for message in lint.input_errors:
                sys.stderr.write(f"codi: error: {message}\n")
            return 2
        return 1 if report.changed else 0
    assert report.lint is not None
    if not quiet and report.lint.result.files:
        written = [i for i in report.files if i.written]
        applied = sum(len(i.outcome.applied) for i in written)
        sys.stderr.write(f"codi: fixed {applied} finding(s) in {len(written)} file(s)\n")
        if show_fixes:
            from codi.cli.lint_output import applied_text

            records = [(i.path, r.code, r.line, r.description, r.applicability) for i in written
                       for r in i.outcome.applied]
            sys.stderr.write(applied_text(records))
    _report(report.lint, format, quiet, color=color)
    if any(i.error for i in report.files):
        return 2
    return report.lint.exit_code


@app.command("fix")
def fix_cmd(
    paths: Annotated[list[str], typer.Argument(help="Dockerfiles or folders to fix.")],
    unsafe_fixes: Annotated[bool, typer.Option("--unsafe-fixes", help="Also apply fixes that change behaviour "
                                                                      "in a way most users want.")] = False,
    diff: Annotated[bool, typer.Option("--diff", help="Print a unified diff, write nothing; exit 1 if "
                                                      "something would change.")] = False,
    format: Annotated[str, typer.Option("--format", "-f", help="Format of the findings left after fixing.")] = "tty",
    select: Annotated[list[str] | None, typer.Option(help="Only these rules (codes, prefixes, names).")] = None,
    extend_select: Annotated[list[str] | None, typer.Option(help="Add rules to the selected set.")] = None,
    ignore: Annotated[list[str] | None, typer.Option(help="Rules not to report or fix.")] = None,
    failure_threshold: Annotated[str | None, typer.Option("--failure-threshold", "-t",
                                                          help="Exit 1 when a finding left is at or above this "
                                                               "level.")] = None,
    no_fail: Annotated[bool, typer.Option("--no-fail", help="Exit 0 whatever is left.")] = False,
    config: Annotated[str | None, typer.Option("--config", help="Settings file to use.")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Findings only: no summary.")] = False,
    jobs: Annotated[int | None, typer.Option("--jobs", "-j", help=JOBS_HELP)] = None,
    color: Annotated[str, typer.Option("--color", metavar="WHEN",
                                       help="Colour the diff and findings: auto, always, never.")] = "auto",
    show_fixes: Annotated[bool, typer.Option("--show-fixes", help="List the fixes applied.")] = False,
    risk_policy: Annotated[str | None, typer.Option("--risk-policy", help=(
        "conservative (safe fixes), balanced (+ unsafe), aggressive; default CODI_RISK_POLICY. What the "
        "policy does not allow is listed as proposed."))] = None,
    max_file_size: Annotated[str | None, typer.Option(
        "--max-file-size", metavar="SIZE", show_default=False, help=MAX_FILE_SIZE_HELP)] = None,
) -> None:
    """Apply safe fixes (and unsafe ones with --unsafe-fixes); each fixed file is verified before it is written."""
    raise typer.Exit(run_fix(paths, unsafe=unsafe_fixes, diff=diff, format=format, select=select,
                             extend_select=extend_select, ignore=ignore, failure_threshold=failure_threshold,
                             no_fail=no_fail, config=config, quiet=quiet, jobs=jobs, risk_policy=risk_policy,
                             color=color, show_fixes=show_fixes, max_file_size=max_file_size))
