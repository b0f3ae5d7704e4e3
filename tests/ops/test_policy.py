"""Risk policy: what `codi fix`, `codi rewrite --apply` and POST /fix apply, what they only propose."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

import codi.cli.fix_cmd  # noqa: F401  (registers `fix`)
import codi.cli.project_cmds  # noqa: F401  (registers `rewrite`)
from codi import policy as policy_mod
from codi.cli.app import app
from codi.policy import PolicyError, allows, fix_risk, resolve

runner = CliRunner()
REPO = Path(__file__).resolve().parents[2]
SMELLY = "FROM python:3.12\nMAINTAINER me@example.com\nRUN pip install flask==3.0.0\nCMD python app.py\n"


@pytest.fixture(autouse=True)
def _env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    for name in ("CODI_RISK_POLICY", "CODI_RISK_POLICY_MAX"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CODI_OUTPUT_ROOT", str(tmp_path / "runs"))
    events: list[dict[str, Any]] = []
    def record(out: Any, action: str, *, actor: str | None = None, **fields: Any) -> None:
        events.append({"out": str(out), "action": action, "actor": actor, **fields})

    try:
        import codi.telemetry.audit as audit

        monkeypatch.setattr(audit, "audit_event", record)
    except ImportError:
        fake = type(sys)("codi.telemetry.audit")
        fake.audit_event = record  # type: ignore[attr-defined]
        monkeypatch.setitem(sys.modules, "codi.telemetry.audit", fake)
    return events


def test_policy_table() -> None:
    assert [fix_risk(a) for a in ("safe", "unsafe", "display")] == ["low", "medium", "high"]
    assert allows("conservative", "low") and not allows("conservative", "medium")
    assert allows("balanced", "medium") and not allows("balanced", "high")
    assert allows("aggressive", "high")
    with pytest.raises(PolicyError, match="choose from conservative, balanced, aggressive"):
        resolve("yolo")


def test_default_env_cap_and_override(monkeypatch: pytest.MonkeyPatch) -> None:
    assert resolve(None).name == "conservative" and not resolve(None).override
    assert resolve("balanced").override  # above the configured default
    monkeypatch.setenv("CODI_RISK_POLICY", "balanced")
    assert resolve(None).name == "balanced" and not resolve("balanced").override
    capped = resolve("aggressive", cap=policy_mod.server_max())
    assert capped.name == "balanced" and capped.capped and capped.override


def test_fix_conservative_proposes_unsafe_balanced_applies(tmp_path: Path, _env: list[dict[str, Any]]) -> None:
    path = tmp_path / "Dockerfile"
    path.write_text(SMELLY)
    low = runner.invoke(app, ["fix", str(path), "--risk-policy", "conservative"])
    assert "CMD python app.py" in path.read_text() and 'LABEL maintainer' in path.read_text()
    assert "proposed, not applied (risk policy conservative, unsafe fix)" in low.stderr
    assert [e for e in _env if e["action"] == "policy-override"] == []
    runner.invoke(app, ["fix", str(path), "--risk-policy", "balanced"])
    assert 'CMD ["python", "app.py"]' in path.read_text()
    overrides = [e for e in _env if e["action"] == "policy-override"]
    assert len(overrides) == 1 and overrides[0]["policy"] == "balanced"
    bad = runner.invoke(app, ["fix", str(path), "--risk-policy", "wild"])
    assert bad.exit_code == 2 and bad.stderr.startswith("codi: error: --risk-policy: unknown risk policy")


def test_api_fix_risk_policy_is_capped(tmp_path: Path, _env: list[dict[str, Any]]) -> None:
    from codi.api.app import create_app
    from codi.api.settings import ApiSettings

    settings = ApiSettings(keys=[], allowed_roots=[tmp_path.resolve()], runs_root=tmp_path / "runs")
    with TestClient(create_app(settings)) as client:
        low = client.post("/fix", json={"dockerfile": SMELLY, "risk_policy": "conservative"}).json()
        assert "CMD python app.py" in low["fixed"] and [p["code"] for p in low["proposed"]]
        assert low["risk_policy"]["policy"] == "conservative"
        high = client.post("/fix", json={"dockerfile": SMELLY, "risk_policy": "aggressive"}).json()
        assert high["risk_policy"]["policy"] == "balanced" and high["risk_policy"]["capped"] is True
        assert 'CMD ["python", "app.py"]' in high["fixed"]
        assert [e["decision"] for e in _env if e["action"] == "policy-override"][-1] == "capped"
        assert client.post("/fix", json={"dockerfile": SMELLY, "risk_policy": "wild"}).status_code == 422
        plain = client.post("/fix", json={"dockerfile": SMELLY}).json()
        assert plain["risk_policy"] is None and plain["proposed"] == []


def test_rewrite_apply_writes_best_allowed_keeps_orig(tmp_path: Path) -> None:
    project = tmp_path / "node"
    shutil.copytree(REPO / "demo" / "node", project)
    original = (project / "Dockerfile").read_text()
    result = runner.invoke(app, ["rewrite", str(project), "--apply", "--risk-policy", "aggressive"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith("applied: ") and all(line.startswith("proposed: ") for line in lines[1:])
    assert (project / "Dockerfile.orig").read_text() == original
    assert (project / "Dockerfile").read_text() != original


def test_rewrite_apply_nothing_allowed_writes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project = tmp_path / "node"
    shutil.copytree(REPO / "demo" / "node", project)
    monkeypatch.setattr(policy_mod, "_ALLOWED", {**policy_mod._ALLOWED, "conservative": -1})
    result = runner.invoke(app, ["rewrite", str(project), "--apply"])
    assert result.exit_code == 1 and "nothing written" in result.stderr
    assert "no other candidate is within the conservative policy" in result.stderr
    assert not (project / "Dockerfile.orig").exists()
