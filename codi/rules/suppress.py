"""Inline suppression pragmas: ``# hadolint ignore=...`` and ``# codi: ignore=...``.

- ``# hadolint ignore=DL3008,SC2086`` (or ``# codi: ignore=...``) in the comment lines directly
  above an instruction (no blank line between) silences those codes for that instruction.
  hadolint itself only honours the single line right above; a block of pragma lines is a superset.
- ``# hadolint global ignore=...`` / ``# codi: global ignore=...`` anywhere silences them for the file.
- ``# hadolint shell=powershell`` (any shell that is not POSIX: ``pwsh``, ``cmd``...) turns
  ShellCheck (SC codes) off from that line to the next FROM, as in hadolint; ``shell=bash``
  turns it back on. hadolint's DL rules ignore this pragma, and so do CODI's.

Codes or rule names, any case, comma-separated with optional spaces; text after the list
(separated by whitespace) is treated as a comment. A list item that is no code (``crazy``) or a
trailing comma does not cancel the other codes (hadolint drops the whole pragma).

hadolint 2.15 honours a pragma only on the line right above the instruction, written in lower
case, with nothing after the list but a ``#`` comment; CODI also accepts a block of pragma (and
other comment) lines above the instruction, any case, and trailing words, so a file written for
hadolint is never reported more by CODI.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from codi.parser.model import Dockerfile, Instruction
from codi.rules.base import Finding

_PRAGMA = re.compile(r"^#\s*(?:hadolint\s+|codi\s*:\s*|codi\s+)(global\s+)?ignore\s*=\s*(.*)$", re.IGNORECASE)
_LIST = re.compile(r"^[A-Za-z0-9_-]+(?:\s*,\s*[A-Za-z0-9_-]+)*(?:\s*,)?")
_SHELL = re.compile(r"^#\s*(?:hadolint\s+|codi\s*:\s*|codi\s+)shell\s*=\s*(\S+)", re.IGNORECASE)
_POSIX = frozenset(["sh", "bash", "ash", "dash", "ksh", "mksh", "zsh", "busybox"])


def parse_shell_pragma(line: str) -> str | None:
    """The shell named by ``# hadolint shell=NAME`` (base name, lower case), else None."""
    m = _SHELL.match(line.strip())
    return m.group(1).replace("\\", "/").rsplit("/", 1)[-1].lower() if m else None


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


@dataclass(frozen=True, slots=True)
class PragmaCode:
    """One code of one ignore pragma: where it is written and the lines it covers."""

    line: int  # the comment's line
    code: str
    first: int
    last: int


_WHOLE_FILE = 1 << 30


@dataclass(slots=True)
class Suppressions:
    global_codes: set[str] = field(default_factory=set)
    ranges: list[tuple[int, int, set[str]]] = field(default_factory=list)  # (first line, last line, codes)
    no_shellcheck: list[tuple[int, int]] = field(default_factory=list)  # lines under a non-POSIX shell pragma
    codes: list[PragmaCode] = field(default_factory=list)  # every code of every ignore pragma
    used: set[int] = field(default_factory=set)  # indexes into ``codes`` that silenced a finding

    def __bool__(self) -> bool:
        return bool(self.global_codes or self.ranges or self.no_shellcheck)

    def suppressed(self, finding: Finding, aliases: Iterable[str] = ()) -> bool:
        """Whether a pragma silences the finding: by its code, its rule name or an ``aliases``
        code (the codes of rules that report the same problem, see ``registry.EQUIVALENCES``).
        Every pragma code that does is marked used (see ``unused``)."""
        keys = {finding.code.upper(), finding.name.upper(), *(a.upper() for a in aliases)}
        hit = False
        for i, pragma in enumerate(self.codes):
            if pragma.first <= finding.line <= pragma.last and pragma.code in keys:
                self.used.add(i)
                hit = True
        if hit:
            return True
        return finding.code.upper().startswith("SC") and any(a <= finding.line <= b for a, b in self.no_shellcheck)

    def unused(self) -> list[PragmaCode]:
        """The pragma codes that silenced nothing (call after every finding went through ``suppressed``)."""
        return [p for i, p in enumerate(self.codes) if i not in self.used]


def collect(dockerfile: Dockerfile) -> Suppressions:
    """The pragmas of a parsed file."""
    result = Suppressions()
    pending: dict[str, int] = {}  # code -> line of the pragma naming it, for the next instruction
    no_sc_from: int | None = None  # first line of an open non-POSIX shell pragma range
    for node in dockerfile.nodes:
        if isinstance(node, Instruction):
            if node.keyword == "FROM" and no_sc_from is not None:
                result.no_shellcheck.append((no_sc_from, node.span.start_line - 1))
                no_sc_from = None
            if pending:
                result.ranges.append((node.span.start_line, node.span.end_line, set(pending)))
                result.codes.extend(PragmaCode(line, code, node.span.start_line, node.span.end_line)
                                    for code, line in pending.items())
            pending = {}
            continue
        for number, line in enumerate(node.text.splitlines() or [""], start=node.span.start_line):
            if not line.strip():
                pending = {}  # a blank line detaches pragmas from the next instruction
                continue
            shell = parse_shell_pragma(line)
            if shell is not None:
                if shell in _POSIX and no_sc_from is not None:
                    result.no_shellcheck.append((no_sc_from, number))
                    no_sc_from = None
                elif shell not in _POSIX and no_sc_from is None:
                    no_sc_from = number
                continue
            pragma = parse_pragma(line)
            if pragma is None:
                continue
            is_global, codes = pragma
            if is_global:
                result.global_codes |= codes
                result.codes.extend(PragmaCode(number, code, 0, _WHOLE_FILE) for code in sorted(codes))
            else:
                pending.update({code: number for code in sorted(codes) if code not in pending})
    if no_sc_from is not None:
        result.no_shellcheck.append((no_sc_from, len(dockerfile.text.splitlines()) + 1))
    return result
