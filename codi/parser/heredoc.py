"""Heredoc markers on a RUN/COPY/ADD line (BuildKit's heredocsFromLine / ParseHeredoc)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from codi.parser.args import GO_SPACE
from codi.parser.bounds import decimal

_SPACE = frozenset(GO_SPACE)
_MARKER = re.compile(r"(\d*)<<(-?)([^<]*)\Z")
_UINT_MAX = 2**64 - 1


@dataclass(slots=True)
class Marker:
    name: str
    expand: bool
    chomp: bool
    fd: int


def _words(line: str, raw: bool) -> list[str] | None:
    """Shell words as BuildKit's lexer splits them (escape is always ``\\`` here).

    ``raw`` keeps quotes and escapes in the words. None on a lexing error
    (an unterminated quote), which BuildKit treats as "no heredocs".
    """
    words: list[str] = []
    word: list[str] = []
    in_word = False
    n = len(line)
    # Go's text/scanner, under BuildKit's lexer, skips a byte-order mark at the start.
    i = 1 if line.startswith("\ufeff") else 0
    while i < n:
        ch = line[i]
        if ch == "'" or ch == '"':
            end = i + 1
            body: list[str] = []
            while True:
                if end >= n:
                    return None
                c = line[end]
                if c == ch:
                    break
                if c == "\\" and ch == '"' and end + 1 < n:
                    nxt = line[end + 1]
                    if raw:
                        body.append(c)
                        body.append(nxt)
                    elif nxt in '"\\$`':
                        body.append(nxt)
                    else:
                        body.append(c)
                        body.append(nxt)
                    end += 2
                    continue
                body.append(c)
                end += 1
            if raw:
                word.append(ch)
                word.extend(body)
                word.append(ch)
            else:
                word.extend(body)
            in_word = True
            i = end + 1
            continue
        if ch == "\\":
            if i + 1 >= n:
                break
            if raw:
                word.append(ch)
            word.append(line[i + 1])
            in_word = True
            i += 2
            continue
        if ch in _SPACE:
            if in_word and word:
                words.append("".join(word))
                word = []
                in_word = False
            i += 1
            continue
        word.append(ch)
        in_word = True
        i += 1
    if word:
        words.append("".join(word))
    return words


def _marker(word: str) -> Marker | None:
    m = _MARKER.match(word)
    if m is None or not m.group(3):
        return None
    rest = m.group(3)
    plain = _words(rest, raw=False)
    if plain is None or len(plain) != 1:
        return None
    raw = _words(rest, raw=True)
    if raw is None or len(raw) != 1:
        return None
    name = plain[0]
    quotes = name.count("'") + name.count('"')
    raw_quotes = raw[0].count("'") + raw[0].count('"')
    fd = min(decimal(m.group(1)), _UINT_MAX) if m.group(1) else 0
    return Marker(name=name, expand=quotes == raw_quotes, chomp=m.group(2) == "-", fd=fd)


def heredoc_markers(line: str) -> list[Marker]:
    """The heredocs a logical RUN/COPY/ADD line opens, in order."""
    if "<<" not in line:
        return []
    words = _words(line, raw=True)
    if not words:
        return []
    out: list[Marker] = []
    for word in words:
        if "<<" in word:
            marker = _marker(word)
            if marker is not None:
                out.append(marker)
    return out
