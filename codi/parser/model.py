"""The concrete syntax tree of a Dockerfile.

A parsed file is a flat list of nodes (instructions and trivia) whose ``text``
fields, concatenated, give back the input exactly. Every instruction also
carries the values BuildKit's parser gives it, so rules see what the build sees.

Offsets are indices into ``Dockerfile.text`` (a ``str``; bytes that are not
UTF-8 are kept through ``surrogateescape``). Lines and columns are 1-based;
``end_col`` is exclusive.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal


@dataclass(frozen=True, slots=True)
class Span:
    start: int
    end: int
    start_line: int
    start_col: int
    end_line: int
    end_col: int


@dataclass(slots=True)
class Trivia:
    """Text between instructions: blank lines, comments, parser directives, a BOM."""

    kind: Literal["blank", "comment", "directive", "bom"]
    text: str
    span: Span


@dataclass(slots=True)
class Flag:
    """One ``--name[=value]`` before an instruction's arguments."""

    name: str
    value: str | None
    raw: str
    span: Span


@dataclass(slots=True)
class Heredoc:
    name: str
    content: str
    expand: bool
    chomp: bool
    fd: int
    span: Span


@dataclass(slots=True)
class Instruction:
    """One instruction, with its continuation lines and heredoc bodies.

    ``args`` are exactly the values of BuildKit's node chain for this
    instruction (``ENV a=b`` -> ``["a", "b", "="]``; shell form -> one string).
    ``rest`` is the logical text after the keyword (continuations removed, as
    BuildKit sees it) and ``rest_offsets[i]`` is the offset in the file of
    ``rest[i]``, so that rules and fixes can point into the source.
    """

    keyword: str
    keyword_raw: str
    flags: list[Flag]
    args: list[str]
    json_form: bool
    heredocs: list[Heredoc]
    inner: Instruction | None
    original: str
    rest: str
    rest_offsets: Sequence[int]
    text: str
    span: Span
    keyword_span: Span

    @property
    def start_line(self) -> int:
        return self.span.start_line

    @property
    def end_line(self) -> int:
        return self.span.end_line

    def flag(self, name: str) -> Flag | None:
        """The last flag with this name (BuildKit lets the last one win)."""
        found = None
        for f in self.flags:
            if f.name == name:
                found = f
        return found


Node = Instruction | Trivia


@dataclass(slots=True)
class Dockerfile:
    path: str
    text: str
    nodes: list[Node]
    directives: dict[str, str]
    escape: str
    newline: str
    instructions: list[Instruction] = field(default_factory=list)

    def print(self) -> str:
        return "".join(n.text for n in self.nodes)
