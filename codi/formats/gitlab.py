"""`--format gitlab`: GitLab Code Quality (a Code Climate JSON array) for merge request widgets."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from codi.formats.common import text_safe
from codi.rules.base import Finding, Severity
from codi.rules.engine import PARSE_ERROR_CODE, LintResult

_SEVERITY = {Severity.ERROR: "critical", Severity.WARNING: "major", Severity.INFO: "minor", Severity.STYLE: "info"}


def severity(f: Finding) -> str:
    # A file that does not parse breaks the build itself: the top level.
    return "blocker" if f.code == PARSE_ERROR_CODE else _SEVERITY[f.severity]


def _fingerprint(f: Finding, source_line: str, occurrence: int) -> str:
    # Built from the code, the message and the offending line's text, not the line number,
    # so that a finding keeps its identity when lines are added above it.
    key = "\0".join([f.file, f.code, f.message, source_line.strip(), str(occurrence)])
    return hashlib.sha256(key.encode("utf-8", "surrogateescape")).hexdigest()


def render(result: LintResult, color: bool = False, quiet: bool = False) -> str:
    issues: list[dict[str, Any]] = []
    seen: dict[tuple[str, str, str, str], int] = {}
    lines_of = {path: text.splitlines() for path, text in result.texts.items()}
    for f in result.findings:
        lines = lines_of.get(f.file, [])
        source = lines[f.line - 1] if 0 < f.line <= len(lines) else ""
        key = (f.file, f.code, f.message, source.strip())
        seen[key] = seen.get(key, 0) + 1
        issues.append(
            {
                "type": "issue",
                "check_name": f.code,
                "description": f"{f.code} {f.message}",
                "categories": ["Bug Risk" if f.severity is Severity.ERROR else "Style"],
                "severity": severity(f),
                "fingerprint": _fingerprint(f, source, seen[key]),
                "location": {"path": f.file, "lines": {"begin": f.line, "end": max(f.end_line, f.line)}},
            }
        )
    return text_safe(json.dumps(issues, indent=2, ensure_ascii=False)) + "\n"
