"""Heredoc markers on RUN/COPY/ADD lines, found the way BuildKit finds them."""

from __future__ import annotations

import re
from dataclasses import dataclass

from codi.parser.lexing import GO_SPACE

_HEREDOC_RE = re.compile(r"^(\d*)<<(-?)([^<]*)$", re.S)


@dataclass(frozen=True, slots=True)
class HeredocMarker:
    name: str
    expand: bool
    chomp: bool
    fd: int


def _raw_words(line: str) -> list[str]:
    """Shell-like words with quotes and backslashes kept (BuildKit: RawQuotes + RawEscapes)."""
    words: list[str] = []
    word: list[str] = []
    quote = ""
    has_word = False
    i = 0
    n = len(line)
    while i < n:
        ch = line[i]
        if quote:
            word.append(ch)
            if ch == quote:
                quote = ""
            elif ch == "\\" and quote == '"' and i + 1 < n:
                i += 1
                word.append(line[i])
            i += 1
            continue
        if ch in GO_SPACE:
            if has_word:
                words.append("".join(word))
                word, has_word = [], False
            i += 1
            continue
        has_word = True
        if ch in "'\"":
            quote = ch
            word.append(ch)
        elif ch == "\\" and i + 1 < n:
            word.append(ch)
            i += 1
            word.append(line[i])
        else:
            word.append(ch)
        i += 1
    if has_word:
        words.append("".join(word))
    return words


def _unquote(word: str) -> list[str]:
    """Process quotes and escapes of one raw word (BuildKit: RawQuotes off); may split on spaces."""
    out: list[str] = []
    cur: list[str] = []
    has = False
    quote = ""
    i = 0
    while i < len(word):
        ch = word[i]
        if quote == "'":
            if ch == "'":
                quote = ""
            else:
                cur.append(ch)
        elif quote == '"':
            if ch == '"':
                quote = ""
            elif ch == "\\" and i + 1 < len(word) and word[i + 1] in '"\\$`':
                i += 1
                cur.append(word[i])
            else:
                cur.append(ch)
        elif ch in "'\"":
            quote = ch
            has = True
        elif ch == "\\" and i + 1 < len(word):
            i += 1
            cur.append(word[i])
            has = True
        elif ch in GO_SPACE:
            if has or cur:
                out.append("".join(cur))
            cur, has = [], False
        else:
            cur.append(ch)
            has = True
        i += 1
    if has or cur:
        out.append("".join(cur))
    return out


def heredoc_markers(line: str) -> list[HeredocMarker]:
    """The heredocs a RUN/COPY/ADD logical line opens, in order."""
    markers: list[HeredocMarker] = []
    for word in _raw_words(line):
        m = _HEREDOC_RE.match(word)
        if not m or not m.group(3):
            continue
        rest = m.group(3)
        names = _unquote(rest)
        if len(names) != 1:
            continue
        name = names[0]
        quoted = (rest.count("'") + rest.count('"')) != (name.count("'") + name.count('"'))
        markers.append(HeredocMarker(name=name, expand=not quoted, chomp=m.group(2) == "-",
                                     fd=int(m.group(1)) if m.group(1) else 0))
    return markers
