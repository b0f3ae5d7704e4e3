"""BuildKit's per-instruction argument parsers (frontend/dockerfile/parser/line_parsers.go).

Each parser takes the text after the keyword and flags and returns the node
values BuildKit produces, plus whether the arguments were in JSON form.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from codi.parser.jsonform import NotStringArray, parse_json_array

# Go's unicode.IsSpace (Python's str.isspace also counts \x1c-\x1f).
GO_SPACE = "\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
_GO_SPACE_SET = frozenset(GO_SPACE)
# BuildKit's reWhitespace: ASCII only, no newline.
RE_WHITESPACE = re.compile(r"[\t\v\f\r ]+")
_SURROGATES = re.compile("[\udc80-\udcff]")


class ArgError(Exception):
    """An argument error BuildKit's parser reports (the message is BuildKit's)."""


Parsed = tuple[list[str], bool]


def parse_words(rest: str, escape: str) -> list[str]:
    """Space-separated words, quotes and escapes kept (BuildKit's parseWords)."""
    if _SURROGATES.search(rest):
        rest = _SURROGATES.sub("\ufffd", rest)  # Go decodes invalid UTF-8 as U+FFFD here
    words: list[str] = []
    word: list[str] = []
    blank_ok = False
    in_word = False
    quote = ""
    n = len(rest)
    pos = 0
    while pos < n:
        ch = rest[pos]
        if not in_word:
            if ch in _GO_SPACE_SET:
                pos += 1
                continue
            in_word = True
        if quote:
            if ch == quote:
                quote = ""
            elif ch == escape and quote != "'":
                if pos + 1 == n:
                    quote = ""
                    pos += 1
                    continue
                word.append(ch)
                pos += 1
                ch = rest[pos]
            word.append(ch)
            pos += 1
            continue
        if ch in _GO_SPACE_SET:
            if blank_ok or word:
                words.append("".join(word))
            word = []
            blank_ok = False
            in_word = False
            pos += 1
            continue
        if ch == "'" or ch == '"':
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
    if in_word and (blank_ok or word):
        words.append("".join(word))
    return words


def _name_val(rest: str, key: str, escape: str) -> Parsed:
    words = parse_words(rest, escape)
    if not words:
        return [], False
    if "=" not in words[0]:
        parts = RE_WHITESPACE.split(rest, maxsplit=1)
        if len(parts) < 2:
            raise ArgError(f"{key} must have two arguments")
        return [parts[0], parts[1], ""], False
    out: list[str] = []
    for word in words:
        if "=" not in word:
            raise ArgError(f'Syntax error - can\'t find = in "{word}". Must be of the form: name=value')
        name, value = word.split("=", 1)
        out += [name, value, "="]
    return out, False


def parse_env(rest: str, escape: str) -> Parsed:
    return _name_val(rest, "ENV", escape)


def parse_label(rest: str, escape: str) -> Parsed:
    return _name_val(rest, "LABEL", escape)


def parse_name_or_name_val(rest: str, escape: str) -> Parsed:
    return parse_words(rest, escape), False


def parse_strings_whitespace_delimited(rest: str, escape: str) -> Parsed:
    if not rest:
        return [], False
    return RE_WHITESPACE.split(rest), False


def parse_string(rest: str, escape: str) -> Parsed:
    return ([rest] if rest else []), False


def _json(rest: str) -> list[str] | None:
    try:
        return parse_json_array(rest.lstrip(GO_SPACE))
    except NotStringArray:
        raise ArgError("when using JSON array syntax, arrays must be comprised of strings only") from None


def parse_maybe_json(rest: str, escape: str) -> Parsed:
    if not rest:
        return [], False
    values = _json(rest)
    if values is not None:
        return values, True
    return [rest], False


def parse_maybe_json_to_list(rest: str, escape: str) -> Parsed:
    values = _json(rest)
    if values is not None:
        return values, True
    return parse_strings_whitespace_delimited(rest, escape)


_BYTE_SPACES = frozenset(b"\t\n\v\f\r \x85\xa0")


def _utf8(text: str) -> bytes:
    try:
        return text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogatepass")


def parse_health_config(rest: str, escape: str) -> Parsed:
    # Go walks bytes here, testing each with unicode.IsSpace: 0x85 and 0xA0 count as
    # spaces even inside a multi-byte character, so split the UTF-8 bytes the same way.
    data = rest.encode() if rest.isascii() else _utf8(rest)
    n = len(data)
    sep = 0
    while sep < n and data[sep] not in _BYTE_SPACES:
        sep += 1
    nxt = sep
    while nxt < n and data[nxt] in _BYTE_SPACES:
        nxt += 1
    if sep == 0:
        return [], False
    typ = data[:sep].decode("utf-8", "surrogateescape")
    values, is_json = parse_maybe_json(data[nxt:].decode("utf-8", "surrogateescape"), escape)
    return [typ, *values], is_json


def parse_ignore(rest: str, escape: str) -> Parsed:
    return [], False


LineParser = Callable[[str, str], Parsed]

DISPATCH: dict[str, LineParser] = {
    "ADD": parse_maybe_json_to_list,
    "ARG": parse_name_or_name_val,
    "CMD": parse_maybe_json,
    "COPY": parse_maybe_json_to_list,
    "ENTRYPOINT": parse_maybe_json,
    "ENV": parse_env,
    "EXPOSE": parse_strings_whitespace_delimited,
    "FROM": parse_strings_whitespace_delimited,
    "HEALTHCHECK": parse_health_config,
    "LABEL": parse_label,
    "MAINTAINER": parse_string,
    "RUN": parse_maybe_json,
    "SHELL": parse_maybe_json,
    "STOPSIGNAL": parse_string,
    "USER": parse_string,
    "VOLUME": parse_maybe_json_to_list,
    "WORKDIR": parse_string,
}
