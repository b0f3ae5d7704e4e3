"""The ``check`` parser directive: which BuildKit build checks run, and whether they fail the build.

BuildKit reads it twice (linter.ParseLintOptions, parser.ParseDirective):

- for the whole file, from the directive lines at the top (a ``#!`` first line and a BOM are
  skipped; a line must start with ``#`` in column 1; a blank line ends the directives);
- for one instruction, from the comment lines just before it (``# check=skip=Rule`` then the
  instruction); these can only add skipped (or experimental) rules, never set ``error``.

Only the first space-separated word of the value counts (``# check=skip=A // why`` skips ``A``);
``;`` separates at most three options ``skip=``, ``experimental=`` and ``error=``; rule names are
compared exactly (case-sensitive), and ``all`` must be lowercase. A value BuildKit cannot parse
fails the build ("failed to parse check options: ..."); for one instruction it is ignored.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from codi.parser.model import Dockerfile, Instruction, Trivia

# BuildKit's directiveRegexp (Go's \s is [\t\n\f\r ]); names are matched lower-cased.
_DIRECTIVE = re.compile(r"([a-zA-Z][a-zA-Z0-9]*)[\t\n\f\r ]*=[\t\n\f\r ]*(.+?)[\t\n\f\r ]*\Z")
_DIRECTIVE_NAMES = frozenset({"syntax", "escape", "check"})
_GO_TRUE = frozenset({"1", "t", "T", "TRUE", "true", "True"})
_GO_FALSE = frozenset({"0", "f", "F", "FALSE", "false", "False"})
_UNICODE_SPACE = " \t\n\v\f\r\x85\xa0"


class CheckOptionError(ValueError):
    """A ``check`` value BuildKit refuses; ``str()`` is BuildKit's message."""


@dataclass(frozen=True, slots=True)
class CheckOptions:
    skip_all: bool = False
    skip: frozenset[str] = frozenset()
    experimental_all: bool = False
    experimental: frozenset[str] = frozenset()
    error: bool = False

    def merged(self, other: CheckOptions) -> CheckOptions:
        """BuildKit's WithMergedConfig: skips and experimental rules add up; ``error`` stays."""
        return CheckOptions(
            skip_all=self.skip_all or other.skip_all,
            skip=self.skip | other.skip,
            experimental_all=self.experimental_all or other.experimental_all,
            experimental=self.experimental | other.experimental,
            error=self.error,
        )

    def skips(self, rule: str) -> bool:
        """Whether the (non-experimental) check named ``rule`` is skipped."""
        return self.skip_all or rule in self.skip


def _go_quote(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def _names(value: str) -> frozenset[str]:
    return frozenset(part.strip() for part in value.split(","))


def parse_check_options(value: str) -> CheckOptions:
    """BuildKit's ParseLintOptions; raise CheckOptionError with its message."""
    value = value.strip(_UNICODE_SPACE)
    if not value:
        return CheckOptions()
    skip_all = experimental_all = error = False
    skip: frozenset[str] = frozenset()
    experimental: frozenset[str] = frozenset()
    for part in value.split(";", 2):
        key, eq, val = part.partition("=")
        if not eq:
            raise CheckOptionError(f"invalid check option {_go_quote(part)}")
        key = key.strip(_UNICODE_SPACE)
        val = val.strip(_UNICODE_SPACE)
        if key == "skip":
            if val == "all":
                skip_all = True
            else:
                skip = _names(val)
        elif key == "experimental":
            if val == "all":
                experimental_all = True
            else:
                experimental = _names(val)
        elif key == "error":
            if val in _GO_TRUE:
                error = True
            elif val in _GO_FALSE:
                error = False
            else:
                raise CheckOptionError(
                    f"failed to parse check option {_go_quote(part)}: "
                    f"strconv.ParseBool: parsing {_go_quote(val)}: invalid syntax"
                )
        else:
            raise CheckOptionError(f"invalid check option {_go_quote(key)}")
    return CheckOptions(skip_all, skip, experimental_all, experimental, error)


def _directive(line: str) -> tuple[str, str] | None:
    """(lower-cased name, value) when ``line`` (its comment marker removed) is a directive."""
    m = _DIRECTIVE.match(line.lstrip(_UNICODE_SPACE))
    if m is None or m.group(1).lower() not in _DIRECTIVE_NAMES:
        return None
    return m.group(1).lower(), m.group(2)


@dataclass(frozen=True, slots=True)
class FileChecks:
    """The file's ``check`` directive: its options, its line (0 when absent) and its error."""

    options: CheckOptions
    line: int = 0
    error: str | None = None


def file_checks(text: str) -> FileChecks:
    """The whole file's options, read as BuildKit's ParseDirective("check") reads them."""
    if text.startswith("\ufeff"):
        text = text[1:]
    lines = text.split("\n")
    first = 0
    if lines and lines[0].startswith("#!"):
        first = 1
    for number, raw in enumerate(lines[first:], first + 1):
        line = raw[:-1] if raw.endswith("\r") else raw
        if not line.startswith("#"):
            break
        found = _directive(line[1:])
        if found is None:
            break
        name, value = found
        if name != "check":
            continue
        word = value.split(" ", 1)[0]
        try:
            return FileChecks(parse_check_options(word), number)
        except CheckOptionError as exc:
            return FileChecks(CheckOptions(), number, f"failed to parse check options: {exc}")
    return FileChecks(CheckOptions())


def preceding_comments(df: Dockerfile) -> dict[int, list[str]]:
    """``id(instruction)`` -> the comment lines BuildKit attaches to it (its ``PrevComment``):
    the comments since the previous instruction, parser directives left out, an empty ``#``
    line starting over. Blank lines do not separate a comment from its instruction."""
    out: dict[int, list[str]] = {}
    comments: list[str] = []
    for node in df.nodes:
        if isinstance(node, Instruction):
            out[id(node)] = comments
            comments = []
        elif isinstance(node, Trivia) and node.kind == "comment":
            body = node.text.rstrip("\r\n")
            comment = body[1:].strip(_UNICODE_SPACE)  # BuildKit drops the first byte, whatever it is
            if comment:
                comments.append(comment)
            else:
                comments = []
    return out


def instruction_checks(base: CheckOptions, comments: list[str]) -> CheckOptions:
    """BuildKit's WithMergedConfigFromComments: the first ``check=`` comment adds to ``base``."""
    for comment in comments:
        found = _directive(comment)
        if found is None or found[0] != "check":
            continue
        try:
            extra = parse_check_options(found[1].split(" ", 1)[0])
        except CheckOptionError:
            return base
        return base.merged(extra)
    return base
