"""`--format sonarqube`: SonarQube's generic issue import format (`sonar.externalIssuesReportPaths`),
as hadolint's `-f sonarqube`: `{"issues": [...]}` with engine, rule, severity, type and location."""

from __future__ import annotations

import json
from typing import Any

from codi.formats.categories import is_security
from codi.formats.common import text_safe
from codi.rules.base import Finding, Severity
from codi.rules.engine import PARSE_ERROR_CODE, LintResult

_SEVERITY = {Severity.ERROR: "CRITICAL", Severity.WARNING: "MAJOR", Severity.INFO: "MINOR", Severity.STYLE: "INFO"}


def _issue(f: Finding) -> dict[str, Any]:
    if is_security(f.code):
        kind = "VULNERABILITY"
    elif f.severity is Severity.ERROR or f.code == PARSE_ERROR_CODE:
        kind = "BUG"
    else:
        kind = "CODE_SMELL"
    end_line = max(f.end_line, f.line)
    start_col = max(f.column - 1, 0)  # SonarQube counts columns from 0
    end_col = max(f.end_column - 1, 0)
    region: dict[str, int] = {"startLine": f.line, "endLine": end_line}
    if end_line > f.line or end_col > start_col:  # a range Sonar accepts; else the whole line
        region.update(startColumn=start_col, endColumn=end_col)
    return {
        "engineId": "codi",
        "ruleId": f.code,
        "severity": "BLOCKER" if f.code == PARSE_ERROR_CODE else _SEVERITY[f.severity],
        "type": kind,
        "primaryLocation": {"message": f.message, "filePath": f.file, "textRange": region},
    }


def render(result: LintResult, color: bool = False, quiet: bool = False) -> str:
    issues = [_issue(f) for f in result.findings]
    return text_safe(json.dumps({"issues": issues}, indent=2, ensure_ascii=False)) + "\n"
