"""The `codi run` summary table says which numbers were measured and which estimated."""

from __future__ import annotations

from pathlib import Path

import pytest

from codi.cli.project_view import show_run
from codi.service.run import RunOptions, run_project

DEMO = Path(__file__).resolve().parents[2] / "demo" / "go"


def test_estimated_run_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    result = run_project(DEMO, RunOptions(out=tmp_path, dry_run=True, llm=False, rag=False))
    show_run(result, dry_run=True)
    out = capsys.readouterr().out
    assert "sizes are estimated" in out and "smoke" not in out


def test_measured_run_marks_estimated_rows(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    result = run_project(DEMO, RunOptions(out=tmp_path, dry_run=True, llm=False, rag=False))
    metrics = result.metrics
    metrics.original.kind = "measured"
    metrics.original.rebuild_seconds = 4.25
    metrics.original.smoke = {"status": "passed", "reason": "still running"}
    first, *rest = metrics.candidates
    first.kind = "measured"
    first.smoke = {"status": "passed", "reason": "HTTP 200"}
    assert rest, "the go demo has more than one candidate"
    show_run(result, dry_run=True)
    out = capsys.readouterr().out
    assert "measured by a real build" in out and "* estimated" in out
    assert "4.2 s" in out and "passed" in out
    assert "MB*" in out  # the candidates that were not built
    rows = [line for line in out.splitlines() if first.candidate_id in line]
    assert rows and "MB*" not in rows[0]
