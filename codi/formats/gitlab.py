"""`--format gitlab` (also `gitlab_codeclimate`): GitLab Code Quality, a Code Climate JSON array
for merge request widgets; `--format codeclimate`: the Code Climate engine stream (each issue
followed by a NUL byte), as hadolint's `-f codeclimate`."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from typing import Any

from codi.formats.categories import category
from codi.formats.common import INTERNAL_ERROR_CODE, text_safe, with_errors
from codi.rules.base import Finding, Severity
from codi.rules.engine import PARSE_ERROR_CODE, LintResult

_SEVERITY = {Severity.ERROR: "critical", Severity.WARNING: "major", Severity.INFO: "minor", Severity.STYLE: "info"}


def severity(f: Finding) -> str:
    # A file that does not parse breaks the build itself: the top level.
    return "blocker" if f.code in (PARSE_ERROR_CODE, INTERNAL_ERROR_CODE) else _SEVERITY[f.severity]


def _fingerprint(f: Finding, source_line: str, occurrence: int) -> str:
    # Built from the code, the message and the offending line's text, not the line number,
    # so that a finding keeps its identity when lines are added above it.
    key = "\0".join([f.file, f.code, f.message, source_line.strip(), str(occurrence)])
    return hashlib.sha256(key.encode("utf-8", "surrogateescape")).hexdigest()


def issues(result: LintResult) -> Iterator[dict[str, Any]]:
    seen: dict[tuple[str, str, str, str], int] = {}
    lines_of = {path: text.splitlines() for path, text in result.texts.items()}
    for f in with_errors(result):
        lines = lines_of.get(f.file, [])
        source = lines[f.line - 1] if 0 < f.line <= len(lines) else ""
        key = (f.file, f.code, f.message, source.strip())
        seen[key] = seen.get(key, 0) + 1
        yield {
            "type": "issue",
            "check_name": f.code,
            "description": f"{f.code} {f.message}",
            "categories": [category(f.code, f.severity)],
            "severity": severity(f),
            "fingerprint": _fingerprint(f, source, seen[key]),
            "location": {"path": f.file, "lines": {"begin": f.line, "end": max(f.end_line, f.line)}},
        }


def render(result: LintResult, color: bool = False, quiet: bool = False) -> str:
    return text_safe(json.dumps(list(issues(result)), indent=2, ensure_ascii=False)) + "\n"


def render_stream(result: LintResult, color: bool = False, quiet: bool = False) -> str:
    """The Code Climate engine specification's output: each issue as JSON, then a NUL byte."""
    return "".join(text_safe(json.dumps(issue, ensure_ascii=False)) + "\0" for issue in issues(result))
