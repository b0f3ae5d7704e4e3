"""Output formats, rendered from a hand-made result (no parser or rules involved)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest

from codi.formats import FORMATS, render
from codi.rules.base import Applicability, Edit, Finding, Fix, Severity
from codi.rules.engine import LintResult, RuleError

TEXT_A = 'FROM debian\nRUN apt-get install -y curl & echo "<b>"\n'
TEXT_B = "FROM alpine:3.20\n"


def finding(code: str, level: Severity, line: int, message: str, file: str = "app/Dockerfile",
            fixable: bool = False) -> Finding:
    fix = Fix("add a flag", Applicability.SAFE, [Edit(0, 0, "")]) if fixable else None
    return Finding(code, f"name-{code.lower()}", level, message, file, line, 1, line, 5, fix)


def sample() -> LintResult:
    return LintResult(
        findings=[
            finding("DL3006", Severity.WARNING, 1, "Always tag the version of an image explicitly"),
            finding("DL3008", Severity.WARNING, 2, 'Pin versions: `apt-get install <pkg>=<ver>` & "quote"'),
            finding("DL3015", Severity.INFO, 2, "Avoid additional packages, use --no-install-recommends",
                    fixable=True),
            finding("SC2086", Severity.STYLE, 2, "Double quote to prevent globbing:\nword splitting 100%"),
            finding("CD0001", Severity.ERROR, 1, "unknown instruction: FORM", file="bad/Dockerfile"),
        ],
        files=["app/Dockerfile", "bad/Dockerfile", "ok/Dockerfile"],
        texts={"app/Dockerfile": TEXT_A, "bad/Dockerfile": "FORM x\n", "ok/Dockerfile": TEXT_B},
    )


def test_json_array_fields() -> None:
    data = json.loads(render("json", sample()))
    assert [d["code"] for d in data] == ["DL3006", "DL3008", "DL3015", "SC2086", "CD0001"]
    assert list(data[0]) == ["file", "line", "column", "end_line", "end_column", "code", "name", "level",
                             "message", "fixable"]
    assert data[2]["fixable"] is True and data[0]["fixable"] is False
    assert data[4] == {"file": "bad/Dockerfile", "line": 1, "column": 1, "end_line": 1, "end_column": 5,
                       "code": "CD0001", "name": "name-cd0001", "level": "error",
                       "message": "unknown instruction: FORM", "fixable": False}


def test_tty_plain_has_location_source_line_and_summary() -> None:
    out = render("tty", sample(), color=False)
    assert "\x1b[" not in out
    assert "app/Dockerfile:2:1 DL3008 [warning] Pin versions" in out
    assert '    2 | RUN apt-get install -y curl & echo "<b>"' in out
    assert "Found 5 findings in 2 of 3 files (1 error, 2 warnings, 1 info, 1 style); 1 fixable with --fix." in out
    quiet = render("tty", sample(), quiet=True)
    assert "Found" not in quiet and "DL3008" in quiet


def test_tty_counts_unsafe_fixes_apart() -> None:
    result = sample()
    result.findings[0].fix = Fix("exec form", Applicability.UNSAFE, [Edit(0, 0, "")])
    assert "; 1 fixable with --fix (1 more with --unsafe-fixes)." in render("tty", result)


def test_tty_colour_only_when_asked() -> None:
    assert "\x1b[" in render("tty", sample(), color=True)


def test_tty_clean_run() -> None:
    clean = LintResult(files=["ok/Dockerfile"], texts={"ok/Dockerfile": TEXT_B})
    assert render("tty", clean).strip() == "All checks passed (1 file linted)."


def test_checkstyle_is_escaped_xml() -> None:
    root = ET.fromstring(render("checkstyle", sample()))
    files = {f.get("name"): f for f in root.iter("file")}
    assert set(files) == {"app/Dockerfile", "bad/Dockerfile", "ok/Dockerfile"}
    errors = files["app/Dockerfile"].findall("error")
    assert errors[1].get("message") == 'DL3008 Pin versions: `apt-get install <pkg>=<ver>` & "quote"'
    assert errors[1].get("severity") == "warning" and errors[1].get("line") == "2"
    assert errors[1].get("source") == "codi.DL3008"


def test_junit_counts_and_escaping() -> None:
    root = ET.fromstring(render("junit", sample()))
    assert root.get("failures") == "5" and root.get("tests") == "6"
    suites = {s.get("name"): s for s in root.iter("testsuite")}
    assert suites["ok/Dockerfile"].get("failures") == "0"
    failure = suites["app/Dockerfile"].findall("testcase/failure")[1]
    assert failure.get("message") == 'Pin versions: `apt-get install <pkg>=<ver>` & "quote"'


def test_xml_survives_control_characters_and_undecodable_bytes() -> None:
    result = LintResult(
        findings=[finding("DL3000", Severity.ERROR, 1, "bad \x1b[31m byte \udcff here")],
        files=["app/Dockerfile"],
        texts={"app/Dockerfile": "FROM x\n"},
    )
    for fmt in ("checkstyle", "junit"):
        ET.fromstring(render(fmt, result))
    json.loads(render("json", result))
    render("sarif", result).encode("utf-8")


def test_gitlab_code_climate() -> None:
    data = json.loads(render("gitlab", sample()))
    assert [d["severity"] for d in data] == ["major", "major", "minor", "info", "blocker"]
    first = data[0]
    assert first["check_name"] == "DL3006" and first["location"] == {
        "path": "app/Dockerfile", "lines": {"begin": 1, "end": 1}}
    assert first["description"].startswith("DL3006 ")
    fingerprints = [d["fingerprint"] for d in data]
    assert len(set(fingerprints)) == len(fingerprints)
    # a finding keeps its fingerprint when lines are inserted above it
    moved = sample()
    for f in moved.findings:
        f.line += 3
        f.end_line += 3
    moved.texts["app/Dockerfile"] = "# a\n# b\n# c\n" + TEXT_A
    moved.texts["bad/Dockerfile"] = "# a\n# b\n# c\nFORM x\n"
    assert [d["fingerprint"] for d in json.loads(render("gitlab", moved))] == fingerprints


def test_github_annotations_are_escaped() -> None:
    lines = render("github", sample()).splitlines()
    assert lines[0] == (
        "::warning file=app/Dockerfile,line=1,col=1,endLine=1,endColumn=5,title=DL3006 name-dl3006::"
        "DL3006 [warning] Always tag the version of an image explicitly"
    )
    sc = next(line for line in lines if "SC2086" in line)
    assert sc.startswith("::notice ")
    assert sc.endswith("::SC2086 [style] Double quote to prevent globbing:%0Aword splitting 100%25")
    assert lines[-1].startswith("::error file=bad/Dockerfile,")
    odd = LintResult(findings=[finding("DL3006", Severity.INFO, 1, "m", file="a,b:c/Dockerfile")])
    assert "file=a%2Cb%3Ac/Dockerfile," in render("github", odd)


def test_internal_errors_show_up_where_a_format_can_carry_them() -> None:
    result = LintResult(files=["x/Dockerfile"], texts={"x/Dockerfile": TEXT_B},
                        errors=[RuleError("DL3999", "x/Dockerfile", "ValueError: boom")])
    assert "internal error in DL3999 on x/Dockerfile: ValueError: boom" in render("github", result)
    root = ET.fromstring(render("junit", result))
    assert root.get("errors") == "1"
    sarif = json.loads(render("sarif", result))
    invocation = sarif["runs"][0]["invocations"][0]
    assert invocation["executionSuccessful"] is False
    assert "boom" in invocation["toolExecutionNotifications"][0]["message"]["text"]


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_every_format_renders_an_empty_result(fmt: str) -> None:
    out = render(fmt, LintResult())
    assert out.endswith("\n") or out == ""
