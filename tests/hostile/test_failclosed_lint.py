"""Issue 19 §2: an error is never a pass. A rule that crashes, a parser that fails inside (RecursionError,
MemoryError), ShellCheck that fails: the lint fails (exit 3, ``failed: true``), every output format
carries an error entry, and what the other rules found is still reported."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

import codi.cli.lint_cmd  # noqa: F401  (attaches `lint` to the app)
from codi.api.app import create_app
from codi.api.settings import ApiSettings
from codi.cli.app import app
from codi.rules.registry import get_rule
from codi.rules.shellcheck import runner as sc_runner

UNTAGGED = "FROM ubuntu\nRUN apt-get install curl\n"  # DL3006, DL3008, DL3009, DL3015, ... from other rules
KEY = "failclosed-key-0123456789"


def _lint(*args: str) -> tuple[int, str, str]:
    result = CliRunner(env={"CODI_SELECT": None, "CODI_IGNORE": None, "CODI_NO_FAIL": None}).invoke(
        app, ["lint", "--no-cache", *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def broken_rule(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """DL3006 raises inside, like a bug would."""
    rule = get_rule("DL3006")
    assert rule is not None

    def explode(self: object, ctx: object) -> list[object]:
        raise RuntimeError("kaboom")

    monkeypatch.setattr(rule, "check", explode)
    yield "DL3006"


@pytest.fixture
def dockerfile(tmp_path: Path) -> Path:
    (tmp_path / ".git").mkdir()
    path = tmp_path / "Dockerfile"
    path.write_text(UNTAGGED, encoding="utf-8")
    return path


def test_every_format_carries_the_error_and_keeps_the_other_findings(broken_rule: str, dockerfile: Path) -> None:
    rc, out, err = _lint("--format", "json", str(dockerfile))
    found = json.loads(out)
    assert rc == 3 and "internal error in DL3006" in err and "Traceback" not in err
    assert any(f["code"] == "CD0000" and "kaboom" in f["message"] for f in found)
    assert {"DL3008", "DL3015"} <= {f["code"] for f in found}  # the other rules still reported

    rc, out, _ = _lint("--format", "sarif", str(dockerfile))
    invocation = json.loads(out)["runs"][0]["invocations"][0]
    assert rc == 3 and invocation["executionSuccessful"] is False
    assert "kaboom" in invocation["toolExecutionNotifications"][0]["message"]["text"]

    rc, out, _ = _lint("--format", "junit", str(dockerfile))
    root = ET.fromstring(out)
    assert rc == 3 and root.get("errors") == "1" and root.find(".//error") is not None

    rc, out, _ = _lint("--format", "checkstyle", str(dockerfile))
    messages = [e.get("message", "") for e in ET.fromstring(out).iter("error")]
    assert rc == 3 and any(m.startswith("CD0000") and "kaboom" in m for m in messages)

    rc, out, _ = _lint("--format", "gitlab", str(dockerfile))
    issues = json.loads(out)
    assert rc == 3 and any(i["check_name"] == "CD0000" and i["severity"] == "blocker" for i in issues)

    rc, out, _ = _lint("--format", "github", str(dockerfile))
    assert rc == 3 and "::error title=codi internal error::" in out

    rc, out, _ = _lint(str(dockerfile))
    assert rc == 3 and "CD0000 [error]" in out and "Lint failed" in out and "All checks passed" not in out


def test_no_fail_and_thresholds_do_not_hide_an_error(broken_rule: str, dockerfile: Path) -> None:
    assert _lint("--no-fail", str(dockerfile))[0] == 3
    assert _lint("--failure-threshold", "none", str(dockerfile))[0] == 3
    rc, out, _ = _lint("--select", "DL3006", "--format", "json", str(dockerfile))
    assert rc == 3 and [f["code"] for f in json.loads(out)] == ["CD0000"]  # never `[]` and exit 0


@pytest.mark.parametrize("error", [RecursionError("maximum recursion depth exceeded"), MemoryError()])
def test_a_parser_failing_inside_is_an_error_not_a_parse_error(
        error: BaseException, dockerfile: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib

    parse_module = importlib.import_module("codi.parser.parse")  # the package's `parse` is the function

    def fail(self: object) -> None:
        raise error

    monkeypatch.setattr(parse_module._Parser, "run", fail)
    rc, out, err = _lint("--format", "json", str(dockerfile))
    found = json.loads(out)
    assert rc == 3 and "internal error in parser" in err
    assert [f["code"] for f in found] == ["CD0000"]  # not CD0001: the file is fine, CODI is not
    import codi.cli.parse_cmd  # noqa: F401  (attaches `parse` to the app)

    parsed = CliRunner().invoke(app, ["parse", str(dockerfile)])
    assert parsed.exit_code == 3 and "internal error" in parsed.stderr


def test_a_rule_running_out_of_memory_fails_the_lint(dockerfile: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rule = get_rule("DL3008")
    assert rule is not None

    def oom(self: object, ctx: object) -> list[object]:
        raise MemoryError

    monkeypatch.setattr(rule, "check", oom)
    rc, out, _ = _lint("--format", "json", str(dockerfile))
    assert rc == 3 and "DL3006" in {f["code"] for f in json.loads(out)}


def test_shellcheck_failing_on_one_script_is_a_finding_for_that_script(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if sc_runner.find_shellcheck() is None:
        pytest.skip("shellcheck binary not installed")
    real = sc_runner.run_shellcheck

    def flaky(binary: str, files: list[Path], options: list[str], cwd: Path) -> sc_runner.Outcome:
        # a batch holding the bad script fails as a whole; the bad script fails alone too
        if any("BAD_SCRIPT" in f.read_text() for f in files):
            return sc_runner.GaveUp("ShellCheck took more than 3 s")
        return real(binary, files, options, cwd)

    monkeypatch.setattr(sc_runner, "run_shellcheck", flaky)
    (tmp_path / ".git").mkdir()
    for n in range(12):  # enough scripts for more than one per batch
        (tmp_path / f"d{n}").mkdir()
        (tmp_path / f"d{n}" / "Dockerfile").write_text(f"FROM alpine:3.20\nRUN echo $undefined_{n}\n")
    (tmp_path / "Dockerfile").write_text("FROM alpine:3.20\nRUN echo BAD_SCRIPT $x\n")
    rc, out, _ = _lint("--format", "json", "--jobs", "1", str(tmp_path))
    found = json.loads(out)
    gave_up = [f for f in found if f["code"] == "CD0004"]
    assert [Path(f["file"]).parent for f in gave_up] == [tmp_path] and gave_up[0]["line"] == 2
    assert len([f for f in found if f["code"] == "SC2154"]) == 12  # every other script was checked
    assert rc == 1


def test_a_missing_shellcheck_is_an_error(dockerfile: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import codi.rules.shellcheck.rule as sc_rule

    monkeypatch.setattr(sc_rule, "find_shellcheck", lambda: None)
    rc, _, err = _lint(str(dockerfile))
    assert rc == 3 and "shellcheck not found" in err
    assert _lint("--ignore", "SC", str(dockerfile))[0] == 1  # the way out is explicit


@pytest.fixture
def api(tmp_path: Path) -> Iterator[TestClient]:
    allowed = tmp_path / "allowed"
    (allowed / "proj").mkdir(parents=True)
    (allowed / "proj" / "Dockerfile").write_text(UNTAGGED + 'CMD ["bash"]\n', encoding="utf-8")
    settings = ApiSettings(keys=[KEY], allowed_roots=[allowed.resolve()], runs_root=tmp_path / "runs", job_workers=1)
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        client.headers["Authorization"] = f"Bearer {KEY}"
        client.headers["X-Project"] = str((allowed / "proj").resolve())
        yield client


def test_api_lint_fix_and_analyze_say_failed(broken_rule: str, api: TestClient) -> None:
    body = api.post("/lint", json={"dockerfile": UNTAGGED}).json()
    assert body["failed"] is True and any("kaboom" in e for e in body["errors"])
    assert "DL3008" in {f["code"] for f in body["findings"]}

    body = api.post("/lint", json={"dockerfile": UNTAGGED, "failure_threshold": "none"}).json()
    assert body["failed"] is True  # a threshold never turns an error into a pass

    fixed = api.post("/fix", json={"dockerfile": UNTAGGED}).json()
    assert fixed["failed"] is True and fixed["errors"] and fixed["changed"] is False  # nothing unverified applied

    analyzed = api.post("/analyze", json={"project_path": api.headers["X-Project"], "llm": False})
    assert analyzed.status_code == 200, analyzed.text
    assert analyzed.json()["failed"] is True and analyzed.json()["errors"]


def test_api_hostile_expansion_is_a_finding(api: TestClient) -> None:
    from boundskit import laughs, nested_default

    for text in (f"FROM alpine:3.20\nARG A={nested_default(500)}\n", laughs()):
        body = api.post("/lint", json={"dockerfile": text}).json()
        assert "CD0003" in {f["code"] for f in body["findings"]}
        assert body["failed"] is True and body["errors"] == []


def test_a_parser_failure_in_the_onbuild_view_is_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # hadolint's rules also check ONBUILD triggers, on a second parse of the file: that parse failing
    # inside used to mean "nothing hidden" (a pass); now it fails the lint like any parser failure
    import codi.parser
    from codi.parser.errors import ParseError

    real = codi.parser.parse

    def failing(text: str, path: str = "Dockerfile", *, lint_mode: bool = False) -> object:
        if "ONBUILD" not in text:  # the view: ONBUILD's trigger written as an instruction of its own
            raise ParseError("internal parser error: RecursionError: deep", 1, path, kind="internal")
        return real(text, path, lint_mode=lint_mode)

    monkeypatch.setattr(codi.parser, "parse", failing)
    (tmp_path / ".git").mkdir()
    path = tmp_path / "Dockerfile"
    path.write_text("FROM alpine:3.20\nONBUILD RUN apt-get install curl\n", encoding="utf-8")
    rc, out, err = _lint("--format", "json", str(path))
    assert rc == 3 and "internal error in parser" in err
    assert "CD0000" in {f["code"] for f in json.loads(out)}


def test_api_run_records_a_failed_lint(broken_rule: str, api: TestClient) -> None:
    response = api.post("/run", json={"project_path": api.headers["X-Project"], "llm": False, "candidate_limit": 1})
    assert response.status_code == 200, response.text
    run = response.json()["run"]
    assert run["status"] == "failed"
    assert any("the lint failed inside CODI" in note and "kaboom" in note for note in run["notes"])
