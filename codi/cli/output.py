"""What the lint and fix commands share: option lists, errors, writing to stdout, reporting findings."""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

from codi.cli.errors import fail

_fail = fail  # the name lint_cmd imports it by

if TYPE_CHECKING:
    from codi.service.lint import LintOutcome

FORMAT_NAMES = ("tty", "concise", "json", "sarif", "checkstyle", "gitlab", "junit", "github",
                "gitlab_codeclimate", "codeclimate", "gnu", "codacy", "sonarqube")
THRESHOLD_NAMES = ("error", "warning", "info", "style", "none")
JOBS_HELP = ("Worker processes for many files (default: the CPU count; 1: this process only). "
             "The output is the same for any number.")


def _codes(values: list[str] | None) -> list[str]:
    """Repeated options and comma-separated lists both work: `--ignore DL3008,DL3009 --ignore SC`."""
    return [part.strip() for v in values or [] for part in v.split(",") if part.strip()]



def _write(text: str) -> None:
    try:
        try:
            sys.stdout.write(text)
        except UnicodeEncodeError:  # a terminal that cannot show some character
            encoding = sys.stdout.encoding or "utf-8"
            sys.stdout.write(text.encode(encoding, "replace").decode(encoding))
        sys.stdout.flush()
    except BrokenPipeError:  # `codi lint ... | head`: the reader left, nothing more to say
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())


MAX_FILE_SIZE_HELP = ("Refuse a Dockerfile larger than this: bytes or 4M, 512k (default 4M; env CODI_MAX_FILE_SIZE, "
                      "config max-file-size).")


def parse_max_file_size(value: str | None) -> int | None:
    """``--max-file-size``: bytes, or a number with k, M or G."""
    if value is None:
        return None
    from codi.safefs import parse_size

    try:
        return parse_size(value)
    except ValueError as exc:
        raise _fail(f"--max-file-size: {exc}") from None


def jobs_count(jobs: int | None) -> int:
    """``--jobs``: at least 1; not given, the CPUs this process may use."""
    if jobs is None:
        from codi.service.batches import default_jobs

        return default_jobs()
    if jobs < 1:
        raise fail(f"--jobs {jobs}: expected 1 or more")
    return jobs


def build_args(values: list[str]) -> dict[str, str]:
    """``NAME=VALUE``, or ``NAME`` alone for the value in the environment (as docker build does)."""
    out: dict[str, str] = {}
    for value in values:
        name, eq, given = value.partition("=")
        if not name or not name.replace("_", "a").isalnum() or name[0].isdigit():
            raise fail(f"--build-arg {value!r}: expected NAME=VALUE")
        if not eq and name not in os.environ:
            raise fail(f"--build-arg {name}: no value given and {name} is not set in the environment")
        out[name] = given if eq else os.environ[name]
    return out


def _report(outcome: LintOutcome, fmt: str, quiet: bool, *, color: str = "auto", output_file: str | None = None,
            stats: bool = False) -> None:
    """Print (or write to ``output_file``) the findings in ``fmt``; errors and notices go to stderr."""
    from codi.cli.lint_output import statistics, use_color, write_output
    from codi.formats import render

    to_file = output_file not in (None, "-")
    colored = fmt in ("tty", "concise") and use_color(color, sys.stdout, to_file)
    # Nothing was linted because every path was bad: the errors alone say it ("All checks passed" would not).
    if stats:
        write_output(statistics(outcome.result), output_file, _write)
    elif fmt not in ("tty", "concise") or outcome.result.files or not outcome.input_errors:
        write_output(render(fmt, outcome.result, color=colored, quiet=quiet), output_file, _write)
    for message in outcome.input_errors:
        sys.stderr.write(f"codi: error: {message}\n")
    for err in outcome.result.errors:
        sys.stderr.write(f"codi: {err} (this is a bug in CODI; the other rules still ran)\n")
    if not outcome.result.files and not outcome.input_errors and not quiet:
        sys.stderr.write("codi: warning: no Dockerfiles found under the given paths\n")
