"""Inline suppression pragmas: ``# hadolint ignore=...`` and ``# codi: ignore=...``.

- ``# hadolint ignore=DL3008,SC2086`` (or ``# codi: ignore=...``) in the comment lines directly
  above an instruction (no blank line between) silences those codes for that instruction.
  hadolint itself only honours the single line right above; a block of pragma lines is a superset.
- ``# hadolint global ignore=...`` / ``# codi: global ignore=...`` anywhere silences them for the file.

Codes or rule names, any case, comma-separated with optional spaces; text after the list
(separated by whitespace) is treated as a comment.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from codi.parser.model import Dockerfile, Instruction
from codi.rules.base import Finding

_PRAGMA = re.compile(r"^#\s*(?:hadolint\s+|codi\s*:\s*|codi\s+)(global\s+)?ignore\s*=\s*(.*)$", re.IGNORECASE)
_LIST = re.compile(r"^[A-Za-z0-9_-]+(?:\s*,\s*[A-Za-z0-9_-]+)*")


def parse_pragma(line: str) -> tuple[bool, set[str]] | None:
    """``(is_global, codes)`` for a pragma comment line, else None."""
    m = _PRAGMA.match(line.strip())
    if not m:
        return None
    listed = _LIST.match(m.group(2))
    if not listed:
        return None
    rest = m.group(2)[listed.end() :]
    if rest and not rest[0].isspace():
        return None
    codes = {c.strip().upper() for c in listed.group(0).split(",") if c.strip()}
    return bool(m.group(1)), codes


@dataclass(slots=True)
class Suppressions:
    global_codes: set[str] = field(default_factory=set)
    ranges: list[tuple[int, int, set[str]]] = field(default_factory=list)  # (first line, last line, codes)

    def __bool__(self) -> bool:
        return bool(self.global_codes or self.ranges)

    def suppressed(self, finding: Finding) -> bool:
        keys = (finding.code.upper(), finding.name.upper())
        if any(k in self.global_codes for k in keys):
            return True
        for first, last, codes in self.ranges:
            if first <= finding.line <= last and any(k in codes for k in keys):
                return True
        return False


def collect(dockerfile: Dockerfile) -> Suppressions:
    """The pragmas of a parsed file."""
    result = Suppressions()
    pending: set[str] = set()
    for node in dockerfile.nodes:
        if isinstance(node, Instruction):
            if pending:
                result.ranges.append((node.span.start_line, node.span.end_line, pending))
            pending = set()
            continue
        for line in node.text.splitlines() or [""]:
            if not line.strip():
                pending = set()  # a blank line detaches pragmas from the next instruction
                continue
            pragma = parse_pragma(line)
            if pragma is None:
                continue
            is_global, codes = pragma
            if is_global:
                result.global_codes |= codes
            else:
                pending = pending | codes
    return result
