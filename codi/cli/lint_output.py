"""How `codi lint` shows what it found: colour or not, where the text goes, per-rule statistics."""

from __future__ import annotations

import os
import sys
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from codi.rules.base import Finding
    from codi.rules.engine import LintResult

COLOR_CHOICES = ("auto", "always", "never")


def use_color(choice: str, stream: TextIO, to_file: bool = False) -> bool:
    """``--color``: always, never, or auto = a terminal and ``NO_COLOR`` unset or empty (no-color.org);
    ``FORCE_COLOR`` turns auto on where there is no terminal (CI logs that show ANSI)."""
    if choice == "always":
        return True
    if choice == "never" or to_file:
        return False
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def rename_file(result: LintResult, old: str, new: str) -> None:
    """Show ``old`` (e.g. ``-`` for stdin) as ``new`` in every format."""
    for f in result.findings:
        if f.file == old:
            f.file = new
    result.files = [new if p == old else p for p in result.files]
    if old in result.texts:
        result.texts[new] = result.texts.pop(old)
    for i, err in enumerate(result.errors):
        if err.file == old:
            result.errors[i] = type(err)(err.code, new, err.error)


def statistics(result: LintResult) -> str:
    """``--statistics``: one line per code, most frequent first, as ruff prints them."""
    counts = Counter(f.code for f in result.findings)
    if not counts:
        return ""
    first: dict[str, Finding] = {}
    fixable: Counter[str] = Counter()
    for f in result.findings:
        first.setdefault(f.code, f)
        if f.fixable:
            fixable[f.code] += 1
    width = len(str(max(counts.values())))
    code_width = max(len(c) for c in counts)
    lines = []
    for code, n in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
        f = first[code]
        mark = "[*]" if fixable[code] == n else ("[-]" if fixable[code] else "   ")
        lines.append(f"{str(n).rjust(width)}\t{code.ljust(code_width)}\t{mark} {f.name} ({f.severity.value})\n")
    return "".join(lines)


def write_output(text: str, output_file: str | None, write_stdout: object) -> None:
    """To ``--output-file`` (atomically, folders created) or stdout."""
    if output_file is None or output_file == "-":
        assert callable(write_stdout)
        write_stdout(text)
        return
    from codi.atomic import atomic_write_text

    path = Path(output_file)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(path, text)


def stderr_line(text: str) -> None:
    sys.stderr.write(text + "\n")


_DIFF_STYLE = (("+++", "\x1b[1m"), ("---", "\x1b[1m"), ("@@", "\x1b[36m"), ("+", "\x1b[32m"), ("-", "\x1b[31m"))


def color_diff(text: str) -> str:
    """A unified diff with added lines green, removed red, hunk headers cyan (``--diff`` on a terminal)."""
    out = []
    for line in text.splitlines(keepends=True):
        body = line.rstrip("\n")
        style = next((code for prefix, code in _DIFF_STYLE if body.startswith(prefix)), None)
        out.append(f"{style}{body}\x1b[0m{line[len(body):]}" if style else line)
    return "".join(out)


def fixes_text(result: LintResult) -> str:
    """``--show-fixes``: each finding with a fix, what the fix does and how safe it is."""
    lines = [f"{f.file}:{f.line}:{f.column} {f.code} {f.fix.description} ({f.fix.applicability.value})\n"
             for f in result.findings if f.fix is not None and f.fixable]
    if not lines:
        return "No fixes available.\n"
    return f"Fixes available ({len(lines)}; `codi fix` applies the safe ones, --unsafe-fixes the others):\n" + "".join(
        "  " + line for line in lines)


def applied_text(records: list[tuple[str, str, int, str, str]]) -> str:
    """``codi fix --show-fixes``: the fixes applied, one per line (path, code, line, description, safety)."""
    if not records:
        return "No fixes applied.\n"
    return f"Fixed {len(records)}:\n" + "".join(
        f"  {path}:{line} {code} {description} ({safety})\n" for path, code, line, description, safety in records)
