"""The audit log's keyed chain: edited, deleted and removed-last lines, a removed or rewritten .head and a chain
recomputed without the key are found; an older unkeyed log reads as legacy; writes fail closed in production."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from codi.telemetry.audit import AuditError, audit_event, audit_log_path, sha256_text
from codi.telemetry.audit_verify import verify_log


@pytest.fixture(autouse=True)
def _env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("CODI_AUDIT_LOG", "CODI_PRODUCTION", "CODI_AUDIT", "CODI_AUDIT_MAX_BYTES", "CODI_AUDIT_KEEP",
                 "CODI_STATE_DIR", "CODI_AUDIT_KEY_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "operator"))  # the key: the operator's, not the log's


def _write(out: Path, n: int = 4) -> Path:
    for i in range(n):
        audit_event(out, "run", actor="alice", dockerfile_sha256=f"{i:064x}", rule_ids=["DL3008"], decision="ok")
    return audit_log_path(out)


def test_lines_carry_the_fields_and_chain(tmp_path: Path) -> None:
    path = _write(tmp_path)
    assert path == tmp_path / "_audit" / "audit.jsonl"
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert [r["action"] for r in lines] == ["run"] * 4
    assert lines[0]["prev_hash"] == "0" * 64 and lines[0]["actor"] == "alice"
    assert lines[1]["rule_ids"] == ["DL3008"]
    result = verify_log(path)
    assert result.ok and result.lines == 4


def test_edited_line_is_found(tmp_path: Path) -> None:
    path = _write(tmp_path)
    lines = path.read_text().splitlines()
    lines[1] = lines[1].replace('"decision":"ok"', '"decision":"overridden"')
    path.write_text("\n".join(lines) + "\n")
    result = verify_log(path)
    assert not result.ok and result.bad_line == 2 and "edited" in (result.reason or "")


def test_edited_line_with_its_hash_recomputed_without_the_key_is_found(tmp_path: Path) -> None:
    path = _write(tmp_path)
    lines = path.read_text().splitlines()
    record = json.loads(lines[1])
    record["actor"] = "mallory"
    record["hash"] = sha256_text(json.dumps({k: v for k, v in record.items() if k != "hash"}, sort_keys=True,
                                            separators=(",", ":")))
    lines[1] = json.dumps(record, sort_keys=True, separators=(",", ":"))
    path.write_text("\n".join(lines) + "\n")
    result = verify_log(path)
    assert not result.ok and result.bad_line == 2 and "without the audit key" in (result.reason or "")


def test_deleted_line_is_found(tmp_path: Path) -> None:
    path = _write(tmp_path)
    lines = path.read_text().splitlines()
    del lines[1]
    path.write_text("\n".join(lines) + "\n")
    result = verify_log(path)
    assert not result.ok and result.bad_line == 2 and "deleted" in (result.reason or "")


def test_deleted_first_and_last_lines_are_found(tmp_path: Path) -> None:
    path = _write(tmp_path)
    lines = path.read_text().splitlines()
    path.write_text("\n".join(lines[1:]) + "\n")
    assert verify_log(path).bad_line == 1
    path.write_text("\n".join(lines[:-1]) + "\n")
    result = verify_log(path)
    assert not result.ok and result.bad_line == 3


def test_rotation_keeps_the_chain(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CODI_AUDIT_MAX_BYTES", "600")
    path = _write(tmp_path, 6)
    assert path.with_name("audit.jsonl.1").exists()
    result = verify_log(path)
    assert result.ok and result.lines == 6 and len(result.files) >= 2


def test_env_moves_the_log_and_secrets_are_redacted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    moved = tmp_path / "elsewhere" / "a.jsonl"
    monkeypatch.setenv("CODI_AUDIT_LOG", str(moved))
    audit_event(tmp_path / "out", "fix-apply", note="ENV API_TOKEN=tok-123456", api_key="sekrit-key-value")
    text = moved.read_text()
    assert "tok-123456" not in text and "sekrit-key-value" not in text and "API_TOKEN" in text
    assert verify_log(moved).ok


def test_failed_write_fails_closed_in_production(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    monkeypatch.setenv("CODI_AUDIT_LOG", str(blocker / "audit.jsonl"))  # a folder that cannot exist
    audit_event(tmp_path, "run")  # not production: a warning
    assert "cannot write the audit log" in capsys.readouterr().err
    monkeypatch.setenv("CODI_PRODUCTION", "1")
    with pytest.raises(AuditError):
        audit_event(tmp_path, "run")


def test_cli_verify(tmp_path: Path) -> None:
    from codi.cli.app import app
    from codi.cli.main import _COMMAND_MODULES

    assert "ops_audit_cmds" in _COMMAND_MODULES
    import codi.cli.ops_audit_cmds  # noqa: F401

    runner = CliRunner()
    path = _write(tmp_path)
    ok = runner.invoke(app, ["audit", "verify", "--out", str(tmp_path), "--json"])
    assert ok.exit_code == 0, ok.output
    payload = json.loads(ok.stdout)
    assert payload["schema_version"] == 1 and payload["ok"] and payload["lines"] == 4
    lines = path.read_text().splitlines()
    del lines[2]
    path.write_text("\n".join(lines) + "\n")
    bad = runner.invoke(app, ["audit", "verify", "--log", str(path)])
    assert bad.exit_code == 1
    assert "audit.jsonl:3:" in bad.stderr and "Traceback" not in bad.output
    missing = runner.invoke(app, ["audit", "verify", "--log", str(tmp_path / "none.jsonl")])
    assert missing.exit_code == 2 and missing.stderr.startswith("codi: error:")
    assert runner.invoke(app, ["audit", "verify", "--help"]).exit_code == 0


def test_fix_that_writes_is_audited(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from codi.service.fix import fix_paths
    from codi.service.lint import LintRequest

    monkeypatch.setenv("CODI_OUTPUT_ROOT", str(tmp_path / "out"))
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text("FROM debian:12\nRUN apt-get update && apt-get install curl\nMAINTAINER x\n")
    report = fix_paths(LintRequest(paths=[str(dockerfile)]))
    assert any(f.written for f in report.files)
    line = json.loads((tmp_path / "out" / "_audit" / "audit.jsonl").read_text().splitlines()[-1])
    assert line["action"] == "fix-apply" and line["decision"] == "applied" and "DL4000" in line["rule_ids"]


def test_run_audit_names_the_actor_given_by_the_api(tmp_path: Path) -> None:
    """Runs started through the API are audited under the API key's id, never the server's OS user."""
    from codi.service.run import RunOptions, run_project

    demo = Path(__file__).resolve().parents[2] / "demo" / "go"
    run_project(demo, RunOptions(llm=False, rag=False, out=tmp_path, actor="api-key:k1"))
    lines = [json.loads(x) for x in (tmp_path / "_audit" / "audit.jsonl").read_text().splitlines()]
    assert [x["actor"] for x in lines if x["action"] == "run"] == ["api-key:k1"]
