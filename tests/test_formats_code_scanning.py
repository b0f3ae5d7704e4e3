"""SARIF help for every rule and security metadata; GitLab/Code Climate categories and SonarQube
types by rule family (issue 22)."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema

from codi.formats import render
from codi.formats.categories import category
from codi.formats.sarif import sarif_log
from codi.rules.base import Finding, Severity
from codi.rules.engine import LintResult
from codi.rules.registry import all_rules

SCHEMA = Path(__file__).resolve().parent / "data" / "sarif-schema-2.1.0.json"


def _finding(code: str, name: str, severity: Severity = Severity.WARNING) -> Finding:
    return Finding(code, name, severity, "message", "Dockerfile", 1, 1, 1, 5)


def _every_rule_result() -> LintResult:
    findings = [_finding(cls.code if cls.code != "SC" else "SC2086", cls.name, cls.severity) for cls in all_rules()]
    return LintResult(findings=findings, files=["Dockerfile"], texts={"Dockerfile": "FROM x\n"})


def test_every_rule_has_help_uri_and_markdown_help() -> None:
    log = sarif_log(_every_rule_result())
    rules = log["runs"][0]["tool"]["driver"]["rules"]
    assert len(rules) == len(all_rules())
    for rule in rules:
        assert rule["helpUri"].startswith("https://"), rule["id"]
        assert rule["help"]["markdown"].strip() and rule["help"]["text"].strip(), rule["id"]
        assert "```" not in rule["help"]["text"]
    by_id = {r["id"]: r for r in rules}
    assert by_id["DL3008"]["helpUri"] == "https://github.com/hadolint/hadolint/wiki/DL3008"
    assert by_id["BK007"]["helpUri"].startswith("https://docs.docker.com/reference/build-checks/")
    assert by_id["SC2086"]["helpUri"] == "https://www.shellcheck.net/wiki/SC2086"
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    assert not list(jsonschema.Draft4Validator(schema).iter_errors(log))


def test_security_rules_carry_security_severity_and_tag() -> None:
    rules = {r["id"]: r for r in sarif_log(_every_rule_result())["runs"][0]["tool"]["driver"]["rules"]}
    for code in ("CD306", "CD304", "CD301", "DL3002", "DL3004", "DL3026", "BK016", "DL3064"):
        props = rules[code]["properties"]
        assert "security" in props["tags"], code
        assert 0 < float(props["security-severity"]) <= 10, code
    assert "security-severity" not in rules["DL3008"]["properties"]
    assert "security" not in rules["DL3008"]["properties"]["tags"]


def test_gitlab_categories_by_family() -> None:
    assert category("CD306", Severity.INFO) == "Security"
    assert category("DL3009", Severity.INFO) == "Performance"
    assert category("CD201", Severity.WARNING) == "Performance"
    assert category("DL4000", Severity.ERROR) == "Compatibility"
    assert category("BK001", Severity.STYLE) == "Style"
    assert category("DL3008", Severity.WARNING) == "Bug Risk"
    assert category("SC2086", Severity.INFO) == "Style" and category("SC2154", Severity.WARNING) == "Bug Risk"
    result = LintResult(findings=[_finding("CD306", "no-user-in-final-image", Severity.INFO),
                                  _finding("DL3009", "apt-lists-not-deleted", Severity.INFO)],
                        files=["Dockerfile"], texts={"Dockerfile": "FROM x\n"})
    issues = json.loads(render("gitlab", result))
    assert [i["categories"] for i in issues] == [["Security"], ["Performance"]]
    sonar = json.loads(render("sonarqube", result))["issues"]
    assert [i["type"] for i in sonar] == ["VULNERABILITY", "CODE_SMELL"]
