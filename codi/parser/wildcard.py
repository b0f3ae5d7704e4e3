"""Shell wildcard patterns (``*``, ``?``, ``\\`` escapes; no brackets) for ``${v#p}``, ``${v%p}``, ``${v/p/r}``.

Matched by simulating the pattern's automaton over the text, one character at a time with the
states as bits of an int, so a match costs ``len(text)`` steps whatever the pattern: a regular
expression engine that backtracks takes ``len(text) ** stars`` steps on ``*a*a*a*b`` (BuildKit's Go
regexp does not backtrack, so the same file builds there in no time).
"""

from __future__ import annotations

from collections.abc import Iterator


class Wildcard:
    """A parsed pattern; state bit ``i`` means "the first ``i`` tokens matched"."""

    def __init__(self, tokens: list[str | None]) -> None:
        # None is ``*``, "" is ``?``, any other string one literal character. Runs of ``*`` are one ``*``.
        self.tokens: list[str | None] = []
        for tok in tokens:
            if tok is None and self.tokens and self.tokens[-1] is None:
                continue
            self.tokens.append(tok)
        self.accept = 1 << len(self.tokens)
        self.star = 0
        self.any = 0
        self.literal: dict[str, int] = {}
        for i, tok in enumerate(self.tokens):
            if tok is None:
                self.star |= 1 << i
            elif tok == "":
                self.any |= 1 << i
            else:
                self.literal[tok] = self.literal.get(tok, 0) | 1 << i
        self.start = self._close(1)

    def _close(self, state: int) -> int:
        # A ``*`` also matches nothing; no two ``*`` are adjacent, so one step reaches every state.
        return state | (state & self.star) << 1

    def step(self, state: int, ch: str) -> int:
        moved = (state & (self.literal.get(ch, 0) | self.any)) << 1
        return self._close(moved | (state & self.star))

    def reversed(self) -> Wildcard:
        return Wildcard(self.tokens[::-1])

    def ends(self, text: str, start: int = 0) -> Iterator[int]:
        """Each ``end`` (ascending) where ``text[start:end]`` matches the whole pattern."""
        state = self.start
        if state & self.accept:
            yield start
        for i in range(start, len(text)):
            state = self.step(state, text[i])
            if not state:
                return
            if state & self.accept:
                yield i + 1

    def starts(self, text: str) -> list[bool]:
        """For each position ``i`` (and ``len(text)``): whether some ``text[i:end]`` matches."""
        back = self.reversed()
        state = back.start
        found = [False] * (len(text) + 1)
        found[len(text)] = bool(state & back.accept)
        for i in range(len(text) - 1, -1, -1):
            state = back.step(state, text[i]) | back.start
            found[i] = bool(state & back.accept)
        return found


def parse_wildcard(pattern: str) -> Wildcard | None:
    """The pattern, or None where BuildKit rejects an escape (``\\`` before anything but ``*?\\``)."""
    tokens: list[str | None] = []
    i, n = 0, len(pattern)
    while i < n:
        ch = pattern[i]
        if ch == "*":
            tokens.append(None)
        elif ch == "?":
            tokens.append("")
        elif ch == "\\":
            if i + 1 < n and pattern[i + 1] in "}/":
                i += 1
                continue
            if i + 1 >= n or pattern[i + 1] not in "*?\\":
                return None
            i += 1
            tokens.append(pattern[i])
        else:
            tokens.append(ch)
        i += 1
    return Wildcard(tokens)


def trim(value: str, pattern: Wildcard, suffix: bool, longest: bool) -> str:
    """``${v#p}`` / ``${v##p}`` / ``${v%p}`` / ``${v%%p}``: drop the shortest (longest) matching prefix
    (suffix); a suffix is a prefix of the reversed value under the reversed pattern."""
    if suffix:
        back = pattern.reversed()
        cut = _pick(back.ends(value[::-1]), longest)
        return value if cut is None else value[: len(value) - cut]
    cut = _pick(pattern.ends(value), longest)
    return value if cut is None else value[cut:]


def _pick(ends: Iterator[int], longest: bool) -> int | None:
    found = None
    for end in ends:
        found = end
        if not longest:
            break
    return found


def replace(value: str, pattern: Wildcard, replacement: str, every: bool, max_size: int) -> str | None:
    """``${v/p/r}`` / ``${v//p/r}`` as Go's regexp does it: the leftmost match, as long as it goes, and
    no empty match right after a match. With a ``*`` in the pattern there is one match at most (a
    later one would make the first longer), so this stays linear in ``len(value)``. None when the
    result would pass ``max_size`` characters."""
    can_start = pattern.starts(value)
    out: list[str] = []
    pos = i = 0
    last_end = -1
    n = len(value)
    size = 0
    while i <= n:
        end = _pick(pattern.ends(value, i), longest=True) if can_start[i] else None
        if end is None or (end == i == last_end):  # no match here, or an empty one abutting the last
            i += 1
            continue
        size += i - pos + len(replacement)
        if size > max_size:
            return None
        out.append(value[pos:i])
        out.append(replacement)
        pos = last_end = end
        if not every:
            break
        i = end if end > i else i + 1
    out.append(value[pos:])
    return "".join(out)
