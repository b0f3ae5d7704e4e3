"""A unified diff of a candidate against the original, made to be redacted for display.

Redaction (``codi.telemetry.redact``) sees only the text it is given. A diff hunk that starts in the
middle of a continued instruction shows a line without the line it continues: ``curl --user admin:\\``
outside the hunk and the password alone on the hunk's first line, which no redaction rule can tell from
an ordinary word. So the context grows until no hunk starts inside a continued instruction. The context
stays the same before and after every hunk (patch reads uneven context as a hunk anchored at the
file's start or end), so the diff still applies.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence

CONTEXT = 3


def _continues(line: str) -> bool:
    return line.rstrip("\r\n").endswith("\\")


def _hunk_starts(codes: Sequence[tuple[str, int, int, int, int]], n: int) -> list[int]:
    """Where each hunk of ``difflib.unified_diff(..., n=n)`` starts in the original (as difflib groups)."""
    changes = [(i1, i2) for tag, i1, i2, _, _ in codes if tag != "equal"]
    if not changes:
        return []
    starts = [max(0, changes[0][0] - n)]
    for (_, prev_end), (next_start, _) in zip(changes, changes[1:], strict=False):
        if next_start - prev_end > 2 * n:  # an unchanged stretch longer than both contexts splits hunks
            starts.append(next_start - n)
    return starts


def _context(a: list[str], b: list[str]) -> int:
    """The least context (at least three lines) with which no hunk starts inside a continued instruction."""
    codes = difflib.SequenceMatcher(None, a, b).get_opcodes()
    n = CONTEXT
    while True:
        missing = 0
        for start in _hunk_starts(codes, n):
            back = 0
            while start - back > 0 and _continues(a[start - back - 1]):
                back += 1
            missing = max(missing, back)
        if not missing:
            return n
        n += missing  # each round shows more lines; it ends at the file's start at the latest


def unified_diff(before: str, after: str, name: str) -> str:
    """``before`` → ``after`` as a unified diff (``a/Dockerfile`` → ``b/<name>``)."""
    a = before.splitlines(keepends=True)
    b = after.splitlines(keepends=True)
    lines = difflib.unified_diff(a, b, fromfile="a/Dockerfile", tofile=f"b/{name}", n=_context(a, b))
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines).rstrip("\n")
