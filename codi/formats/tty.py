"""`--format tty` (the default): findings for people, with the offending line and a summary.

Colour only when writing to a terminal; without colour the text is plain and never wrapped,
so it can be grepped (`file:line:col CODE [level] message`).
"""

from __future__ import annotations

import io
import re

from rich.console import Console
from rich.text import Text

from codi.formats.common import LEVEL_ORDER, counts, plural, text_safe
from codi.rules.base import Applicability, Finding, Severity
from codi.rules.engine import LintResult

# Control characters (an escape sequence in a Dockerfile line or an instruction name) are shown as \xNN, never
# sent to the terminal as they are.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.INFO: "cyan", Severity.STYLE: "blue"}


def _count(n: int, level: Severity) -> str:
    # "2 errors, 1 warning" but "3 info, 1 style": those two read as uncountable
    return plural(n, level.value) if level in (Severity.ERROR, Severity.WARNING) else f"{n} {level.value}"


def summary(result: LintResult) -> str:
    n_files = len(result.files)
    failed = (f"Lint failed: {plural(len(result.errors), 'internal error')} in CODI, so the result is incomplete"
              if result.errors else "")
    if not result.findings:
        return f"{failed} ({plural(n_files, 'file')} linted)." if failed else f"All checks passed ({plural(n_files, 'file')} linted)."
    by_level = counts(result.findings)
    parts = ", ".join(_count(by_level.get(level, 0), level) for level in LEVEL_ORDER)
    safe = sum(1 for f in result.findings if f.fix and f.fix.applicability is Applicability.SAFE)
    unsafe = sum(1 for f in result.findings if f.fix and f.fix.applicability is Applicability.UNSAFE)
    fixable = f"{safe} fixable with --fix" + (f" ({unsafe} more with --unsafe-fixes)" if unsafe else "")
    files_with = len({f.file for f in result.findings})
    found = (
        f"Found {plural(len(result.findings), 'finding')} in {files_with} of {plural(n_files, 'file')} "
        f"({parts}); {fixable}."
    )
    return f"{failed}. {found}" if failed else found


def _visible(text: str) -> str:
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text_safe(text))


MAX_SNIPPET_LINES = 4  # a longer finding shows its first lines and says how many more


def _caret_line(source: str, column: int, end_column: int) -> str:
    """Spaces (tabs kept, so it lines up) up to ``column``, then ``^`` under the columns found."""
    prefix = "".join("\t" if ch == "\t" else " " for ch in source[: max(column - 1, 0)])
    return prefix + "^" * max(end_column - column, 1)


def _snippet(console: Console, lines: list[str], f: Finding) -> None:
    """The finding's own source lines, verbatim (control characters shown as \\xNN), with a caret
    under the columns when they say more than "the whole instruction"."""
    last = min(max(f.end_line, f.line), len(lines))
    if f.end_line > f.line and f.end_column == 1:
        last = max(last - 1, f.line)  # the range ends at the start of the next line: not part of it
    shown = list(range(f.line, min(last, f.line + MAX_SNIPPET_LINES - 1) + 1))
    width = max(len(str(last)), 4) + 1
    for number in shown:
        row = Text()
        row.append(f"{str(number).rjust(width)} | ", style="dim")
        row.append(_visible(lines[number - 1].rstrip("\r\n")))
        console.print(row)
    if last > shown[-1]:
        console.print(Text(f"{' ' * width} | ... ({plural(last - shown[-1], 'more line')})", style="dim"))
    source = _visible(lines[f.line - 1])
    end = f.end_column if f.end_line == f.line else len(source) + 1
    whole = f.column <= 1 and (f.end_line > f.line or end > len(source.rstrip()))
    if not whole and f.column >= 1:
        caret = Text(f"{' ' * width} | ", style="dim")
        caret.append(_caret_line(source, f.column, max(end, f.column + 1)), style=_STYLE[f.severity])
        console.print(caret)


def _head(f: Finding, concise: bool) -> Text:
    head = Text()
    head.append(_visible(f"{f.file}:{f.line}:{f.column}" + (":" if concise else "")), style="bold")
    head.append(" ")
    head.append(f.code, style=_STYLE[f.severity])
    head.append(" ")
    head.append(f"[{f.severity.value}]", style=_STYLE[f.severity])
    head.append(f" {_visible(f.message)}")
    return head


def render(result: LintResult, color: bool = False, quiet: bool = False, concise: bool = False) -> str:
    buffer = io.StringIO()
    console = Console(
        file=buffer,
        force_terminal=color,
        no_color=not color,
        color_system="standard" if color else None,
        highlight=False,
        soft_wrap=True,
        width=200,
    )
    lines_of = {path: text.splitlines() for path, text in result.texts.items()}
    for f in result.findings:
        console.print(_head(f, concise))
        lines = lines_of.get(f.file, [])
        if not concise and 0 < f.line <= len(lines):
            _snippet(console, lines, f)
    for err in result.errors:  # shown with the findings: a failed lint must never read as a pass
        head = Text()
        head.append(_visible(f"{err.file or 'codi'}:"), style="bold")
        head.append(" CD0000 [error] ", style=_STYLE[Severity.ERROR])
        head.append(_visible(str(err)))
        console.print(head)
    if not quiet:
        if (result.findings or result.errors) and not concise:
            console.print()
        style = "bold red" if result.errors else "bold" if result.findings else "green"
        console.print(summary(result), style=style)
    return buffer.getvalue()
