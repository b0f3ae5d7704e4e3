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
