"""Physical lines, parser directives and line continuations (BuildKit's parser.go loop)."""

from __future__ import annotations

import re
from bisect import bisect_right

from codi.parser.model import Span

# Go's \s is [\t\n\f\r ] (no \v); the directive regex is BuildKit's.
_DIRECTIVE = re.compile(r"#[\t\n\f\r ]*([a-zA-Z][a-zA-Z0-9]*)[\t\n\f\r ]*=[\t\n\f\r ]*(.+?)[\t\n\f\r ]*\Z")
VALID_DIRECTIVES = frozenset({"escape", "syntax", "check"})
MAX_LINE_BYTES = 65535  # bufio.Scanner's limit, less the newline
_CONTINUATION = {
    "\\": re.compile(r"(?<!\\)\\[ \t]*\Z"),
    "`": re.compile(r"(?<!`)`[ \t]*\Z"),
}


class DirectiveError(Exception):
    pass


class Directives:
    """BuildKit's directive state: looked for only until the first non-directive line."""

    def __init__(self) -> None:
        self.done = False
        self.values: dict[str, str] = {}
        self.escape = "\\"
        self.continuation = _CONTINUATION["\\"]

    def check(self, token: str) -> bool:
        """Record ``token`` if it is a directive; True when it was one."""
        if self.done:
            return False
        m = _DIRECTIVE.match(token)
        if m is None:
            self.done = True
            return False
        key = m.group(1).lower()
        if key not in VALID_DIRECTIVES:
            self.done = True
            return False
        if key in self.values:
            raise DirectiveError(f"only one {key} parser directive can be used")
        value = m.group(2)
        if key == "escape":
            if value not in _CONTINUATION:
                raise DirectiveError(f"invalid escape token '{value}' does not match ` or \\")
            self.escape = value
            self.continuation = _CONTINUATION[value]
        self.values[key] = value
        return True

    def trim_continuation(self, line: str) -> tuple[str, bool]:
        """(line without its continuation token, True when the logical line ends here)."""
        if not line.rstrip(" \t").endswith(self.escape):  # most lines: no need to search
            return line, True
        m = self.continuation.search(line)
        if m is None:
            return line, True
        return line[: m.start()], False


def split_lines(text: str) -> tuple[list[str], list[int]]:
    """Lines with their ``\\n`` kept, and the offset of each in ``text``."""
    parts = text.split("\n")
    lines = [p + "\n" for p in parts[:-1]]
    if parts[-1]:
        lines.append(parts[-1])
    offsets = [0] * len(lines)
    pos = 0
    for i, line in enumerate(lines):
        offsets[i] = pos
        pos += len(line)
    return lines, offsets


def too_long(line: str) -> bool:
    if len(line) <= MAX_LINE_BYTES // 4:
        return False
    body = line.rstrip("\n")
    try:
        size = len(body.encode("utf-8", "surrogateescape"))
    except UnicodeEncodeError:
        size = len(body.encode("utf-8", "surrogatepass"))
    return size > MAX_LINE_BYTES


class Locator:
    """Offsets to 1-based line/column spans."""

    def __init__(self, offsets: list[int]) -> None:
        self.offsets = offsets or [0]

    def point(self, offset: int) -> tuple[int, int]:
        i = bisect_right(self.offsets, offset) - 1
        i = max(i, 0)
        return i + 1, offset - self.offsets[i] + 1

    def span(self, start: int, end: int) -> Span:
        # ``point`` twice, inlined: the parser makes several spans per instruction
        offsets = self.offsets
        i = max(bisect_right(offsets, start) - 1, 0)
        sl, sc = i + 1, start - offsets[i] + 1
        if end <= start:
            return Span(start, start, sl, sc, sl, sc)
        j = max(bisect_right(offsets, end - 1, i) - 1, 0)
        return Span(start, end, sl, sc, j + 1, end - offsets[j] + 1)
