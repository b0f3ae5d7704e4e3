"""Reports show the risk policy in force and, per candidate, whether it would be applied or proposed."""

from __future__ import annotations

from pathlib import Path

import pytest

from codi.service.run import RunOptions, run_project

DEMO = Path(__file__).resolve().parents[2] / "demo" / "go"


@pytest.mark.parametrize(("policy", "medium"), [("conservative", "proposed"), ("balanced", "applied")])
def test_report_names_the_policy_and_each_decision(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                   policy: str, medium: str) -> None:
    monkeypatch.setenv("CODI_RISK_POLICY", policy)
    result = run_project(DEMO, RunOptions(llm=False, rag=False, out=tmp_path))
    assert result.run_dir is not None
    md = (result.run_dir / "reports" / "report.md").read_text()
    html = (result.run_dir / "reports" / "report.html").read_text()
    for cand in result.record.candidates:
        expected = "applied" if cand.risk == "low" else medium if cand.risk == "medium" else "proposed"
        assert f"risk: **{cand.risk}**, verified: yes, under the {policy} risk policy: **{expected}**" in md
    assert f"under the {policy} risk policy" in html
