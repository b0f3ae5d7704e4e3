"""BuildKit's per-instruction argument parsers (line_parsers.go): the node values of each keyword."""

from __future__ import annotations

from codi.parser.errors import ParseError
from codi.parser.lexing import GO_SPACE, WHITESPACE_RE, NotStringArray, parse_json_array, parse_words

_NOT_STRINGS = "when using JSON array syntax, arrays must be comprised of strings only"


def _maybe_json(rest: str) -> tuple[list[str], bool]:
    if rest == "":
        return [], False
    try:
        values = parse_json_array(rest)
    except NotStringArray:
        raise ParseError(_NOT_STRINGS, 0) from None
    if values is not None:
        return values, True
    return [rest], False


def _whitespace_list(rest: str) -> list[str]:
    return WHITESPACE_RE.split(rest) if rest else []


def _maybe_json_list(rest: str) -> tuple[list[str], bool]:
    try:
        values = parse_json_array(rest)
    except NotStringArray:
        raise ParseError(_NOT_STRINGS, 0) from None
    if values is not None:
        return values, True
    return _whitespace_list(rest), False


def _name_val(rest: str, key: str, escape: str) -> list[str]:
    words = parse_words(rest, escape)
    if not words:
        return []
    if "=" not in words[0]:
        parts = WHITESPACE_RE.split(rest, maxsplit=1)
        if len(parts) < 2:
            raise ParseError(f"{key} must have two arguments", 0)
        return [parts[0], parts[1], ""]
    out: list[str] = []
    for word in words:
        if "=" not in word:
            raise ParseError(f"Syntax error - can't find = in \"{word}\". Must be of the form: name=value", 0)
        name, _, value = word.partition("=")
        out += [name, value, "="]
    return out


def _health(rest: str) -> tuple[list[str], bool]:
    sep = 0
    while sep < len(rest) and rest[sep] not in GO_SPACE:
        sep += 1
    if sep == 0:
        return [], False
    nxt = sep
    while nxt < len(rest) and rest[nxt] in GO_SPACE:
        nxt += 1
    values, json_form = _maybe_json(rest[nxt:])
    return [rest[:sep]] + values, json_form


def parse_args(keyword: str, rest: str, escape: str) -> tuple[list[str], bool]:
    """(node values, json form) for ``keyword`` (lower-case) and its argument text."""
    if keyword in ("run", "cmd", "entrypoint", "shell"):
        return _maybe_json(rest)
    if keyword in ("add", "copy", "volume"):
        return _maybe_json_list(rest)
    if keyword in ("from", "expose"):
        return _whitespace_list(rest), False
    if keyword in ("env", "label"):
        return _name_val(rest, keyword.upper(), escape), False
    if keyword == "arg":
        return parse_words(rest, escape), False
    if keyword in ("maintainer", "user", "workdir", "stopsignal"):
        return ([rest] if rest else []), False
    if keyword == "healthcheck":
        return _health(rest)
    return [], False  # unknown instruction: BuildKit's parser ignores its arguments
