"""Keyword and ``--flag`` splitting (BuildKit's splitCommand and extractBuilderFlags)."""

from __future__ import annotations

from dataclasses import dataclass

from codi.parser.args import GO_SPACE, RE_WHITESPACE

# extractBuilderFlags tests single bytes with unicode.IsSpace: 0x85 and 0xA0 count.
_BYTE_SPACE = frozenset("\t\n\v\f\r \x85\xa0")


@dataclass(slots=True)
class FlagWord:
    value: str  # as BuildKit reports it (quotes and backslashes processed)
    start: int  # index in the text given to extract_flags
    end: int


def split_command(line: str) -> tuple[str, int, int]:
    """(keyword, start of keyword, start of the text after it) in ``line``.

    The text after the keyword ends where ``line.rstrip`` (Go's TrimSpace) ends.
    """
    stripped = line.lstrip(GO_SPACE)
    lead = len(line) - len(stripped)
    stripped = stripped.rstrip(GO_SPACE)
    m = RE_WHITESPACE.search(stripped)
    if m is None:
        return stripped, lead, lead + len(stripped)
    return stripped[: m.start()], lead, lead + m.end()


def extract_flags(line: str) -> tuple[list[FlagWord], int]:
    """Leading ``--flags`` of ``line`` and the index where the arguments start.

    Go walks the UTF-8 bytes here, so non-ASCII text is handled on a Latin-1 view
    of those bytes (that is what Go's rune(byte) conversion produces) and indices
    are mapped back to characters.
    """
    if line.isascii():
        return _extract(line)
    data = (
        line.encode("utf-8", "surrogateescape") if _escapable(line) else line.encode("utf-8", "surrogatepass")
    )
    view = data.decode("latin-1")
    words, pos = _extract(view)
    starts = _char_index(line)
    for w in words:
        w.start, w.end = starts[w.start], starts[w.end]
    return words, starts[pos]


def _escapable(text: str) -> bool:
    try:
        text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return False
    return True


def _char_index(line: str) -> list[int]:
    """byte offset -> index of the character holding that byte (plus the end)."""
    out: list[int] = []
    for i, ch in enumerate(line):
        if ch < "\x80" or "\udc80" <= ch <= "\udcff":
            out.append(i)
        else:
            out.extend([i] * len(ch.encode("utf-8", "surrogatepass")))
    out.append(len(line))
    return out


def _extract(line: str) -> tuple[list[FlagWord], int]:
    words: list[FlagWord] = []
    word: list[str] = []
    n = len(line)
    pos = 0
    start = 0
    in_word = False
    quote = ""
    blank_ok = False
    while pos <= n:
        ch = line[pos] if pos < n else ""
        if not in_word:
            if pos == n:
                break
            if ch in _BYTE_SPACE:
                pos += 1
                continue
            if ch != "-" or pos + 1 == n or line[pos + 1] != "-":
                return words, pos
            in_word = True
            start = pos
        if pos == n:
            text = "".join(word)
            if text != "--" and (blank_ok or word):
                words.append(FlagWord(text, start, pos))
            break
        if quote:
            if ch == quote:
                quote = ""
                pos += 1
                continue
            if ch == "\\":
                if pos + 1 == n:
                    quote = ""
                    pos += 1
                    continue
                pos += 1
                ch = line[pos]
            word.append(ch)
            pos += 1
            continue
        if ch in _BYTE_SPACE:
            in_word = False
            text = "".join(word)
            if text == "--":
                return words, pos
            if blank_ok or word:
                words.append(FlagWord(text, start, pos))
            word = []
            blank_ok = False
            pos += 1
            continue
        if ch == "'" or ch == '"':
            quote = ch
            blank_ok = True
            pos += 1
            continue
        if ch == "\\":
            if pos + 1 == n:
                pos += 1
                continue
            pos += 1
            ch = line[pos]
        word.append(ch)
        pos += 1
    return words, n
