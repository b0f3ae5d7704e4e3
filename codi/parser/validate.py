"""The checks `docker build` makes when it turns parsed nodes into instructions (instructions/parse.go).

BuildKit's parser accepts these files; its instructions package rejects them before
building, so CODI does too. The order of the checks inside each instruction is BuildKit's,
so the first error reported is the one `docker build` reports.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from codi.parser.bounds import decimal
from codi.parser.checks import file_checks
from codi.parser.errors import ParseError, short_message
from codi.parser.heredoc import heredoc_markers
from codi.parser.model import Dockerfile, Instruction

_STRING, _STRINGS, _BOOL = "string", "strings", "bool"
# Flags each instruction defines (current BuildKit, labs flags included so valid files pass).
FLAGS: dict[str, dict[str, str]] = {
    "ADD": {
        "chown": _STRING,
        "chmod": _STRING,
        "checksum": _STRING,
        "link": _BOOL,
        "keep-git-dir": _BOOL,
        "exclude": _STRINGS,
        "unpack": _BOOL,
    },
    "COPY": {
        "chown": _STRING,
        "from": _STRING,
        "chmod": _STRING,
        "link": _BOOL,
        "parents": _BOOL,
        "exclude": _STRINGS,
    },
    "RUN": {"mount": _STRINGS, "network": _STRING, "security": _STRING, "device": _STRINGS},
    "FROM": {"platform": _STRING},
    "HEALTHCHECK": {
        "interval": _STRING,
        "timeout": _STRING,
        "start-period": _STRING,
        "start-interval": _STRING,
        "retries": _STRING,
    },
}
KNOWN = frozenset(
    {
        "ADD",
        "ARG",
        "CMD",
        "COPY",
        "ENTRYPOINT",
        "ENV",
        "EXPOSE",
        "FROM",
        "HEALTHCHECK",
        "LABEL",
        "MAINTAINER",
        "ONBUILD",
        "RUN",
        "SHELL",
        "STOPSIGNAL",
        "USER",
        "VOLUME",
        "WORKDIR",
    }
)
_STAGE_NAME = re.compile(r"[a-z][a-z0-9-_.]*\Z")
_DURATION = re.compile(r"[-+]?(?:(?:\d+\.?\d*|\.\d+)(?:ns|us|\u00b5s|\u03bcs|ms|s|m|h))+\Z")
_UNIT_SECONDS = {
    "ns": 1e-9,
    "us": 1e-6,
    "\u00b5s": 1e-6,
    "\u03bcs": 1e-6,
    "ms": 1e-3,
    "s": 1.0,
    "m": 60.0,
    "h": 3600.0,
}
_PART = re.compile(r"(\d+\.?\d*|\.\d+)(ns|us|\u00b5s|\u03bcs|ms|s|m|h)")


class _Invalid(Exception):
    def __init__(self, message: str, rule: str | None = None) -> None:
        message = short_message(message)
        super().__init__(message)
        self.message = message
        self.rule = rule


def _parse_flags(instr: Instruction, keyword: str) -> None:
    """BuildKit's BFlags.Parse for the flags ``keyword`` defines."""
    defined = FLAGS.get(keyword, {})
    used: set[str] = set()
    for flag in instr.flags:
        kind = defined.get(flag.name)
        if kind is None:
            raise _Invalid(f"Unknown flag: {flag.name}")
        if flag.name in used and kind != _STRINGS:
            raise _Invalid(f"Duplicate flag specified: {flag.name}")
        used.add(flag.name)
        if kind == _BOOL:
            if flag.value == "":
                raise _Invalid(f"Missing a value on flag: {flag.name}")
            if flag.value is not None and flag.value.lower() not in ("true", "false"):
                raise _Invalid(f"Expecting boolean value for flag {flag.name}, not: {flag.value}")
        elif flag.value is None:
            raise _Invalid(f"Missing a value on flag: {flag.name}")


def _seconds(value: str) -> float:
    """Go's time.ParseDuration, in seconds."""
    if value in ("0", "+0", "-0"):
        return 0.0
    if not _DURATION.match(value):
        raise _Invalid(f'time: invalid duration "{value}"')
    total = sum(float(n) * _UNIT_SECONDS[u] for n, u in _PART.findall(value))
    return -total if value.startswith("-") else total


def _check_health(instr: Instruction) -> None:
    args = instr.args
    if not args:
        raise _Invalid("HEALTHCHECK requires at least one argument")
    kind = args[0].upper()
    if kind == "NONE":
        if len(args) > 1:
            raise _Invalid("HEALTHCHECK NONE takes no arguments")
        return  # BuildKit does not parse the flags of HEALTHCHECK NONE
    _parse_flags(instr, "HEALTHCHECK")
    if kind != "CMD":
        raise _Invalid(f'Unknown type "{kind}" in HEALTHCHECK (try CMD)')
    if len(args) < 2:
        raise _Invalid("Missing command after HEALTHCHECK CMD")
    for name in ("interval", "timeout", "start-period", "start-interval"):
        flag = instr.flag(name)
        if flag is not None and flag.value:
            seconds = _seconds(flag.value)
            if seconds != 0 and seconds < 1e-3:
                raise _Invalid(f'Interval "{name}" cannot be less than 1ms')
    retries = instr.flag("retries")
    if retries is not None and retries.value:
        if not re.fullmatch(r"[-+]?\d+", retries.value):
            raise _Invalid(f'strconv.ParseInt: parsing "{retries.value}": invalid syntax')
        count = decimal(retries.value.lstrip("+-")) * (-1 if retries.value.startswith("-") else 1)
        if not -(2**31) <= count < 2**31:
            raise _Invalid(f'strconv.ParseInt: parsing "{retries.value}": value out of range')
        if count < 0:
            raise _Invalid(f"--retries cannot be negative ({count})")


def _check_kvps(instr: Instruction, keyword: str) -> None:
    _parse_flags(instr, keyword)
    if not instr.args:
        raise _Invalid(f"{keyword} requires at least one argument")
    if any(instr.args[i] == "" for i in range(0, len(instr.args), 3)):
        raise _Invalid(f"{keyword} names can not be blank")


def _check_sources(instr: Instruction, keyword: str) -> None:
    if len(instr.args) < 2:
        raise _Invalid(
            f"{keyword} requires at least two arguments, but only one was provided. "
            "Destination could not be determined"
        )
    _parse_flags(instr, keyword)
    if heredoc_markers(instr.args[-1]):
        raise _Invalid(f"{keyword} cannot accept a heredoc as a destination")


def _check_from(instr: Instruction) -> None:
    args = instr.args
    if len(args) == 3 and args[1].lower() == "as":
        if not _STAGE_NAME.match(args[2].lower()):
            raise _Invalid(
                f'invalid name for build stage: "{args[2]}", name can\'t start with a number '
                "or contain symbols"
            )
    elif len(args) != 1:
        raise _Invalid("FROM requires either one or three arguments")
    _parse_flags(instr, "FROM")


def _check_onbuild(instr: Instruction) -> None:
    if instr.inner is None:
        raise _Invalid("ONBUILD requires at least one argument")
    _parse_flags(instr, "ONBUILD")
    trigger = instr.inner.keyword
    if trigger == "ONBUILD":
        raise _Invalid("Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed", "DL3043")
    if trigger in ("MAINTAINER", "FROM"):
        raise _Invalid(f"{trigger} isn't allowed as an ONBUILD trigger", "DL3043")
    # The trigger itself is checked only when a child image builds FROM this one.


def _check(instr: Instruction) -> None:
    keyword, args = instr.keyword, instr.args
    if keyword not in KNOWN:
        raise _Invalid(f"unknown instruction: {instr.keyword_raw}")
    if keyword in ("ENV", "LABEL"):
        _check_kvps(instr, keyword)
    elif keyword in ("ADD", "COPY"):
        _check_sources(instr, keyword)
    elif keyword == "FROM":
        _check_from(instr)
    elif keyword == "ONBUILD":
        _check_onbuild(instr)
    elif keyword == "HEALTHCHECK":
        _check_health(instr)
    elif keyword in ("MAINTAINER", "WORKDIR", "USER"):
        if len(args) != 1:
            raise _Invalid(f"{keyword} requires exactly one argument")
        _parse_flags(instr, keyword)
    elif keyword == "STOPSIGNAL":
        if len(args) != 1:  # BuildKit does not parse STOPSIGNAL's flags
            raise _Invalid("STOPSIGNAL requires exactly one argument")
    elif keyword == "ARG":
        if not args:
            raise _Invalid("ARG requires at least one argument")
        if any(a.startswith("=") for a in args):
            raise _Invalid("ARG names can not be blank")
    elif keyword in ("EXPOSE", "VOLUME"):
        if not args:
            raise _Invalid(f"{keyword} requires at least one argument")
        _parse_flags(instr, keyword)
        if keyword == "VOLUME" and any(not a.strip() for a in args):
            raise _Invalid("VOLUME specified can not be an empty string")
    elif keyword == "SHELL":
        _parse_flags(instr, keyword)
        if not args:
            raise _Invalid("SHELL requires at least one argument")
        if not instr.json_form:
            raise _Invalid("SHELL requires the arguments to be in JSON form")
    else:  # RUN, CMD, ENTRYPOINT
        _parse_flags(instr, keyword)


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """A problem of the instruction layer: BuildKit's parser accepts the file, `docker build` does not."""

    line: int
    message: str
    rule: str | None = None  # the lint rule that reports the same problem, where one exists
    instruction: Instruction | None = field(default=None, compare=False, repr=False)


def diagnose(df: Dockerfile) -> list[Diagnostic]:
    """Every instruction `docker build` would reject (BuildKit stops at the first), in file order.

    An invalid ``check`` directive comes first (BuildKit reads it before anything else); a file
    of global ARGs only ends with "dockerfile contains no stages to build".
    """
    out: list[Diagnostic] = []
    checks = file_checks(df.text)
    if checks.error is not None:
        out.append(Diagnostic(checks.line, checks.error))
    seen_from = False
    for instr in df.instructions:
        try:
            if instr.keyword == "FROM":
                seen_from = True  # an invalid FROM still starts a stage: no cascade of errors
            elif not seen_from and instr.keyword != "ARG":
                _check(instr)
                raise _Invalid("no build stage in current context", "DL3061")
            _check(instr)
        except _Invalid as exc:
            out.append(Diagnostic(instr.start_line, exc.message, exc.rule, instr))
    if df.instructions and not seen_from and all(i.keyword == "ARG" for i in df.instructions):
        out.append(Diagnostic(df.instructions[0].start_line, "dockerfile contains no stages to build"))
    return out


def validate(df: Dockerfile, skip_rule_covered: bool = False) -> None:
    """Raise ParseError (with the file's path) at the first instruction `docker build` would reject.

    With ``skip_rule_covered``, errors that a lint rule reports with a better message (``rule``
    set, e.g. DL3061 for an instruction before FROM) are let through, so the linter can name them.
    """
    for diag in diagnose(df):
        if skip_rule_covered and diag.rule is not None:
            continue
        raise ParseError(diag.message, diag.line, df.path, diag.rule, kind="instruction")


def without_invalid(df: Dockerfile, diagnostics: list[Diagnostic]) -> Dockerfile:
    """``df`` with the instructions that have a diagnostic no lint rule covers left out of
    ``instructions`` (the text and nodes stay whole): what the linter's rules look at."""
    bad = {id(d.instruction) for d in diagnostics if d.instruction is not None and d.rule is None}
    if not bad:
        return df
    return replace(df, instructions=[i for i in df.instructions if id(i) not in bad])
