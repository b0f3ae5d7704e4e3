"""SARIF output validates against the official SARIF 2.1.0 schema (vendored in tests/data)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from codi.formats import render
from codi.rules.base import Finding, Severity
from codi.rules.engine import LintResult, RuleError

SCHEMA_PATH = Path(__file__).parent / "data" / "sarif-schema-2.1.0.json"


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft4Validator:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    jsonschema.Draft4Validator.check_schema(schema)
    return jsonschema.Draft4Validator(schema, format_checker=jsonschema.FormatChecker())


def result() -> LintResult:
    return LintResult(
        findings=[
            Finding("DL3008", "apt-get-pin-versions", Severity.WARNING, "Pin versions", "my app/Dockerfile",
                    3, 1, 4, 20),
            Finding("SC2086", "shellcheck", Severity.STYLE, "Double quote", "my app/Dockerfile", 3, 5, 3, 9),
            Finding("SC2086", "shellcheck", Severity.STYLE, "Double quote", "my app/Dockerfile", 5, 5, 5, 9),
            Finding("CD0001", "parse-error", Severity.ERROR, "unknown instruction", "/abs/Dockerfile",
                    2, 1, 2, 1),
        ],
        files=["my app/Dockerfile", "/abs/Dockerfile"],
        texts={},
        errors=[RuleError("DL3999", "my app/Dockerfile", "KeyError: 'x'")],
    )


def test_sarif_validates_against_the_official_schema(validator: jsonschema.Draft4Validator) -> None:
    log = json.loads(render("sarif", result()))
    errors = sorted(validator.iter_errors(log), key=str)
    assert not errors, "\n".join(e.message for e in errors[:5])


def test_sarif_content(validator: jsonschema.Draft4Validator) -> None:
    log: dict[str, Any] = json.loads(render("sarif", result()))
    run = log["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == ["DL3008", "SC2086", "CD0001"]
    assert rules[1]["helpUri"] == "https://www.shellcheck.net/wiki/SC2086"
    results = run["results"]
    assert [r["level"] for r in results] == ["warning", "note", "note", "error"]
    assert [r["ruleIndex"] for r in results] == [0, 1, 1, 2]
    loc = results[0]["locations"][0]["physicalLocation"]
    assert loc["artifactLocation"]["uri"] == "my%20app/Dockerfile"
    assert loc["region"] == {"startLine": 3, "startColumn": 1, "endLine": 4, "endColumn": 20}
    assert results[3]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "file:///abs/Dockerfile"


def test_empty_sarif_is_valid(validator: jsonschema.Draft4Validator) -> None:
    log = json.loads(render("sarif", LintResult()))
    assert not list(validator.iter_errors(log))
    assert log["runs"][0]["results"] == []


def test_schema_rejects_a_broken_log(validator: jsonschema.Draft4Validator) -> None:
    log = json.loads(render("sarif", result()))
    log["runs"][0]["results"][0]["level"] = "fatal"
    assert list(validator.iter_errors(log))
