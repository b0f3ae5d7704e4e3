"""`--format sarif`: SARIF 2.1.0 (GitHub code scanning, Azure DevOps, IDEs)."""

from __future__ import annotations

import json
from pathlib import PurePath
from typing import Any
from urllib.parse import quote

from codi import __version__
from codi.formats.categories import category, security_severity
from codi.formats.common import help_uri, rule_for, text_safe
from codi.rules.base import Finding, Severity
from codi.rules.engine import LintResult

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note", Severity.STYLE: "note"}


def artifact_uri(path: str) -> str:
    """A relative path stays relative (forward slashes, percent-encoded); absolute becomes file://."""
    pure = PurePath(path)
    if pure.is_absolute():
        return "file://" + quote(pure.as_posix())
    return quote(pure.as_posix())


def _plain(markdown: str) -> str:
    """The rule docs as plain text for ``help.text`` (viewers without markdown): no fences or hashes."""
    lines = [line for line in markdown.splitlines() if not line.startswith("```")]
    return "\n".join(line.lstrip("#").lstrip() if line.startswith("#") else line for line in lines)


def _rule_descriptor(code: str, first: Finding) -> dict[str, Any]:
    cls = rule_for(code)
    summary = cls.summary() if cls else first.message
    descriptor: dict[str, Any] = {
        "id": code,
        "name": first.name,
        "shortDescription": {"text": summary},
        "defaultConfiguration": {"level": _LEVEL[cls.severity if cls else first.severity]},
    }
    uri = help_uri(code)
    if cls is not None:
        docs = cls.docs()
        if code != cls.code and uri:  # an SC code: the family rule's docs, and ShellCheck's page for this one
            docs = f"{code}: see ShellCheck's explanation at {uri}\n\n{docs}"
        descriptor["fullDescription"] = {"text": summary}
        descriptor["help"] = {"text": _plain(docs), "markdown": docs}
    if uri:
        descriptor["helpUri"] = uri
    level = cls.severity if cls else first.severity
    tags = [category(code, level).lower().replace(" ", "-")]
    properties: dict[str, Any] = {"tags": tags}
    score = security_severity(code)
    if score is not None:
        if "security" not in tags:
            tags.insert(0, "security")
        properties["security-severity"] = f"{score:.1f}"
    descriptor["properties"] = properties
    return descriptor


def _result(f: Finding, rule_index: int) -> dict[str, Any]:
    start_col = max(f.column, 1)
    end_line = max(f.end_line, f.line)
    end_col = max(f.end_column, 1)
    if end_line == f.line and end_col < start_col:
        end_col = start_col
    return {
        "ruleId": f.code,
        "ruleIndex": rule_index,
        "level": _LEVEL[f.severity],
        "message": {"text": f.message},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": {"uri": artifact_uri(f.file)},
                    "region": {
                        "startLine": max(f.line, 1),
                        "startColumn": start_col,
                        "endLine": max(end_line, 1),
                        "endColumn": end_col,
                    },
                }
            }
        ],
        "properties": {"severity": f.severity.value, "fixable": f.fixable},
    }


def sarif_log(result: LintResult) -> dict[str, Any]:
    index: dict[str, int] = {}
    rules: list[dict[str, Any]] = []
    results: list[dict[str, Any]] = []
    for f in result.findings:
        if f.code not in index:
            index[f.code] = len(rules)
            rules.append(_rule_descriptor(f.code, f))
        results.append(_result(f, index[f.code]))
    invocation: dict[str, Any] = {"executionSuccessful": not result.errors}
    if result.errors:
        invocation["toolExecutionNotifications"] = [
            {"level": "error", "message": {"text": str(err)}, "descriptor": {"id": err.code}} for err in result.errors
        ]
    return {
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "codi",
                        "version": __version__,
                        "semanticVersion": __version__,
                        "rules": rules,
                    }
                },
                "invocations": [invocation],
                "artifacts": [{"location": {"uri": artifact_uri(p)}} for p in result.files],
                "results": results,
                "columnKind": "unicodeCodePoints",
            }
        ],
    }


def render(result: LintResult, color: bool = False, quiet: bool = False) -> str:
    return text_safe(json.dumps(sarif_log(result), indent=2, ensure_ascii=False)) + "\n"
