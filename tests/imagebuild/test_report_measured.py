"""Reports of measured runs say which numbers are measured, which estimated, and that stand-ins were used."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fake_engine import DISTROLESS, STANDIN, FakeEngine, go_project, use_engine

from codi.service.run import RunOptions, run_project


@pytest.fixture()
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return go_project(tmp_path, monkeypatch, f"golang:*={STANDIN}")


def _real_run(project: Path, out: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    use_engine(monkeypatch, FakeEngine(missing={DISTROLESS}))
    return run_project(project, RunOptions(out=out, llm=False, rag=False, real=True,
                                           candidate_limit=5)).run_dir  # fixed, scratch, tuned, nonroot, distroless


def test_measured_report_marks_kinds_and_names_the_stand_ins(project: Path, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    run_dir = _real_run(project, tmp_path / "runs", monkeypatch)
    md = (run_dir / "reports" / "report.md").read_text()
    html = (run_dir / "reports" / "report.html").read_text()
    assert "Numbers marked **measured** come from real builds with `fake`" in md
    assert "**Stand-in base images were used**" in md
    assert f"| `golang:1.22` | `{STANDIN}` | Debian bookworm minbase + golang-go" in md
    rows = {line.split("|")[1].strip(): line for line in md.splitlines() if line.startswith("| ")}
    assert "| measured |" in rows["original"]
    distroless = next(v for k, v in rows.items() if "distroless" in k)
    # Not built: estimated, marked failed, and no delta against the measured original.
    assert "| estimated |" in distroless and "| not built |" in distroless and "%" not in distroless
    assert 'id="base-map"' in html and "Stand-in base images were used" in html
    assert 'class="kind-measured">measured' in html and 'class="kind-estimated">estimated' in html
    # The estimate stays beside the measured size, part by part, with its error where the built base is known.
    assert "| estimate error |" in md and "The estimate error compares what CODI estimated" in md
    assert "The estimate made before the build (" in md and 'id="estimate-error-note"' in html
    env = json.loads((run_dir / "metadata" / "environment.json").read_text())
    assert env["engine"]["stand_ins"] == {STANDIN: "Debian bookworm minbase + golang-go, gcc, libc6-dev, git, "
                                                   "ca-certificates"}


def test_estimate_report_says_nothing_was_built_and_why(project: Path, tmp_path: Path) -> None:
    run_dir = run_project(project, RunOptions(out=tmp_path / "runs", llm=False, rag=False)).run_dir
    md = (run_dir / "reports" / "report.md").read_text()
    assert "Nothing was built (measured builds not requested (use --real))" in md
    assert "all numbers are **estimated**" in md and "Stand-in base images" not in md
