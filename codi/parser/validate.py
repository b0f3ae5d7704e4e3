"""The checks `docker build` makes when it turns parsed nodes into instructions (instructions/parse.go).

The parser proper accepts these files; BuildKit rejects them before building, so CODI does too.
"""

from __future__ import annotations

import re

from codi.parser.errors import ParseError
from codi.parser.heredoc import heredoc_markers
from codi.parser.model import Dockerfile, Instruction

# Flags each instruction accepts (current BuildKit, labs flags included so valid files pass).
FLAGS: dict[str, frozenset[str]] = {
    "ADD": frozenset({"chown", "chmod", "link", "keep-git-dir", "checksum", "exclude", "unpack"}),
    "COPY": frozenset({"chown", "from", "chmod", "link", "parents", "exclude"}),
    "RUN": frozenset({"mount", "network", "security", "device"}),
    "FROM": frozenset({"platform"}),
    "HEALTHCHECK": frozenset({"interval", "timeout", "start-period", "start-interval", "retries"}),
}
BOOL_FLAGS = frozenset({"link", "keep-git-dir", "parents", "unpack"})
KNOWN = frozenset({"ADD", "ARG", "CMD", "COPY", "ENTRYPOINT", "ENV", "EXPOSE", "FROM", "HEALTHCHECK", "LABEL",
                   "MAINTAINER", "ONBUILD", "RUN", "SHELL", "STOPSIGNAL", "USER", "VOLUME", "WORKDIR"})
_STAGE_NAME = re.compile(r"^[a-z][a-z0-9-_.]*$")


def _fail(instr: Instruction, message: str, rule: str | None = None) -> ParseError:
    return ParseError(message, instr.start_line, rule=rule)


def _check_flags(instr: Instruction, keyword: str) -> None:
    allowed = FLAGS.get(keyword, frozenset())
    if keyword == "HEALTHCHECK" and instr.args[:1] and instr.args[0].upper() == "NONE":
        allowed = frozenset()
    for flag in instr.flags:
        if flag.name not in allowed:
            raise _fail(instr, f"Unknown flag: {flag.name}")
        if flag.value is None and flag.name not in BOOL_FLAGS:
            raise _fail(instr, f"Missing a value on flag: --{flag.name}")


def _check(instr: Instruction, keyword: str, onbuild: bool = False) -> None:
    args = instr.args
    if keyword not in KNOWN:
        raise _fail(instr, f"unknown instruction: {instr.keyword_raw}")
    if keyword == "ONBUILD":
        if instr.inner is None:
            raise _fail(instr, "ONBUILD requires at least one argument")
        trigger = instr.inner.keyword
        if trigger == "ONBUILD":
            raise _fail(instr, "Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed", "DL3043")
        if trigger in ("MAINTAINER", "FROM"):
            raise _fail(instr, f"{trigger} isn't allowed as an ONBUILD trigger", "DL3043")
        _check_flags(instr, keyword)
        _check(instr.inner, trigger, onbuild=True)
        return
    if keyword == "HEALTHCHECK" and not args:
        raise _fail(instr, "HEALTHCHECK requires at least one argument")
    _check_flags(instr, keyword)
    if keyword in ("ENV", "LABEL"):
        if not args:
            raise _fail(instr, f"{keyword} requires at least one argument")
        if any(args[i] == "" for i in range(0, len(args), 3)):
            raise _fail(instr, f"{keyword} names can not be blank")
    elif keyword in ("MAINTAINER", "WORKDIR", "USER", "STOPSIGNAL") and len(args) != 1:
        raise _fail(instr, f"{keyword} requires exactly one argument")
    elif keyword in ("ADD", "COPY"):
        if len(args) < 2:
            raise _fail(instr, f"{keyword} requires at least two arguments, but only one was provided. "
                               "Destination could not be determined")
        if not instr.json_form and heredoc_markers(args[-1]):
            raise _fail(instr, f"{keyword} cannot accept a heredoc as a destination")
    elif keyword == "FROM":
        if len(args) == 3 and args[1].lower() == "as":
            if not _STAGE_NAME.match(args[2].lower()):
                raise _fail(instr, f'invalid name for build stage: "{args[2]}", name can\'t start with a number '
                                   "or contain symbols")
        elif len(args) != 1:
            raise _fail(instr, "FROM requires either one or three arguments")
    elif keyword in ("EXPOSE", "VOLUME", "ARG") and not args:
        raise _fail(instr, f"{keyword} requires at least one argument")
    elif keyword == "VOLUME" and any(not a.strip() for a in args):
        raise _fail(instr, "VOLUME specified can not be an empty string")
    elif keyword == "ARG" and any(a.startswith("=") for a in args):
        raise _fail(instr, "ARG names can not be blank")
    elif keyword == "SHELL":
        if not args:
            raise _fail(instr, "SHELL requires at least one argument")
        if not instr.json_form:
            raise _fail(instr, "SHELL requires the arguments to be in JSON form")
    elif keyword == "HEALTHCHECK":
        kind = args[0].upper()
        if kind == "NONE":
            if len(args) > 1:
                raise _fail(instr, "HEALTHCHECK NONE takes no arguments")
        elif kind != "CMD":
            raise _fail(instr, f'Unknown type "{kind}" in HEALTHCHECK (try CMD)')
        elif len(args) < 2 or (not instr.json_form and not args[1].strip()):
            raise _fail(instr, "Missing command after HEALTHCHECK CMD")


def validate(df: Dockerfile, skip_rule_covered: bool = False) -> None:
    """Raise ParseError (with the file's path) at the first instruction `docker build` would reject.

    With ``skip_rule_covered``, errors that a lint rule reports with a better message (``rule``
    set, e.g. DL3061 for an instruction before FROM) are let through, so the linter can name them.
    """
    seen_from = False
    for instr in df.instructions:
        try:
            _check(instr, instr.keyword)
            if instr.keyword == "FROM":
                seen_from = True
            elif not seen_from and instr.keyword != "ARG":
                raise _fail(instr, "no build stage in current context", "DL3061")
        except ParseError as exc:
            if skip_rule_covered and exc.rule is not None:
                continue
            raise ParseError(exc.message, exc.line, df.path, exc.rule) from None
