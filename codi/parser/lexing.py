"""Word-level helpers that behave like BuildKit's Go code (whitespace, flags, words, JSON)."""

from __future__ import annotations

import json
import re

# Go's unicode.IsSpace (Python's str.isspace also accepts \x1c-\x1f, which Go does not).
GO_SPACE = frozenset("\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008"
                     "\u2009\u200a\u2028\u2029\u202f\u205f\u3000")
_GO_SPACE_STR = "".join(sorted(GO_SPACE))
WHITESPACE_RE = re.compile(r"[\t\v\f\r ]+")  # BuildKit's reWhitespace


def go_trim_space(s: str) -> str:
    return s.strip(_GO_SPACE_STR)


def go_trim_left(s: str) -> str:
    return s.lstrip(_GO_SPACE_STR)


class NotStringArray(Exception):
    """A JSON array with a non-string element: BuildKit rejects it instead of falling back."""


def _no_constants(name: str) -> object:
    raise ValueError(name)  # Go's JSON has no NaN/Infinity


def parse_json_array(rest: str) -> list[str] | None:
    """BuildKit's parseJSON: the string list, None when ``rest`` is not a JSON array."""
    if not rest.startswith("["):
        return None
    try:
        data = json.loads(rest, parse_constant=_no_constants)
    except (ValueError, RecursionError):
        return None
    if not isinstance(data, list):
        return None
    for item in data:
        if not isinstance(item, str):
            raise NotStringArray()
    return data


def extract_flags(line: str) -> tuple[int, list[tuple[str, int, int]]]:
    """BuildKit's extractBuilderFlags: (index where the arguments start, [(flag, start, end)]).

    Flags are ``--words`` at the start; quotes are removed and ``\\`` escapes the next
    character inside flags (always a backslash, whatever the escape directive says).
    """
    words: list[tuple[str, int, int]] = []
    n = len(line)
    pos = 0
    while True:
        while pos < n and line[pos] in GO_SPACE:
            pos += 1
        if pos >= n:
            return n, words
        if not line.startswith("--", pos):
            return pos, words
        start = pos
        word: list[str] = []
        quote = ""
        blank_ok = False
        while pos < n:
            ch = line[pos]
            if quote:
                if ch == quote:
                    quote = ""
                elif ch == "\\":
                    if pos + 1 == n:
                        quote = ""
                        pos += 1
                        continue
                    pos += 1
                    word.append(line[pos])
                else:
                    word.append(ch)
                pos += 1
                continue
            if ch in GO_SPACE:
                break
            if ch in "'\"":
                quote = ch
                blank_ok = True
            elif ch == "\\":
                if pos + 1 < n:
                    pos += 1
                    word.append(line[pos])
            else:
                word.append(ch)
            pos += 1
        text = "".join(word)
        if text == "--":
            return (pos if pos < n else n), words
        if blank_ok or text:
            words.append((text, start, pos))
        if pos >= n:
            return n, words


def parse_words(rest: str, escape: str) -> list[str]:
    """BuildKit's parseWords: split on whitespace outside quotes, keeping quotes and escapes."""
    words: list[str] = []
    word: list[str] = []
    n = len(rest)
    pos = 0
    in_word = False
    quote = ""
    blank_ok = False
    while pos < n:
        ch = rest[pos]
        if not in_word and not quote:
            if ch in GO_SPACE:
                pos += 1
                continue
            in_word = True
        if quote:
            if ch == quote:
                quote = ""
            if ch == escape and quote != "'":
                if pos + 1 == n:
                    pos += 1
                    continue
                word.append(ch)
                pos += 1
                ch = rest[pos]
            word.append(ch)
            pos += 1
            continue
        if ch in GO_SPACE:
            in_word = False
            if blank_ok or word:
                words.append("".join(word))
            word = []
            blank_ok = False
            pos += 1
            continue
        if ch in "'\"":
            quote = ch
            blank_ok = True
        if ch == escape:
            if pos + 1 == n:
                pos += 1
                continue
            word.append(ch)
            pos += 1
            ch = rest[pos]
        word.append(ch)
        pos += 1
    if (in_word or quote) and (blank_ok or word):
        words.append("".join(word))
    return words
