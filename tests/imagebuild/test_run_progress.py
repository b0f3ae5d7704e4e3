"""`codi run --real` shows progress (stage, image i of n, time) and its table fits an 80-column terminal,
with "not built" and the reason for an image whose build failed."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path
from typing import Any

import pytest
from fake_engine import DISTROLESS, STANDIN, FakeEngine, go_project, use_engine
from rich.console import Console
from typer.testing import CliRunner

import codi.cli.project_cmds  # noqa: F401  (attaches `run`)
from codi.cli.app import app
from codi.cli.project_view import run_progress, show_run
from codi.optimise.catalog import load_catalog
from codi.service.analyze import analyze
from codi.service.candidates import build_candidates
from codi.service.measure import MeasureOptions, measure
from codi.service.run import RunOptions, RunResult, run_project


@pytest.fixture()
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr("codi.service.measure._disk_problem", lambda engine, need: None)
    return go_project(tmp_path, monkeypatch, f"golang:*={STANDIN}")


def _fake_engine(monkeypatch: pytest.MonkeyPatch) -> FakeEngine:
    engine = FakeEngine(missing={DISTROLESS})
    use_engine(monkeypatch, engine)
    return engine


def test_measure_tells_each_stage_of_each_image(project: Path) -> None:
    analysis = analyze(project, None, None, None)
    cands = build_candidates(analysis, load_catalog(None), 5)
    steps: list[tuple[Any, ...]] = []

    def progress(stage: str, item: str | None = None, index: int = 0, total: int = 0, detail: str = "") -> None:
        steps.append((stage, item, index, total, detail))

    measure(None, analysis, cands.built, MeasureOptions(min_free_bytes=0, progress=progress),
            engine=FakeEngine(missing={DISTROLESS}))
    total = 1 + len(cands.built)
    original = [s for s in steps if s[1] == "original"]
    assert [s[0] for s in original] == ["build", "rebuild", "rebuild", "rebuild", "smoke", "done"]
    assert all(s[2:4] == (1, total) for s in original)
    assert [s[4] for s in original[1:4]] == ["1 of 3", "2 of 3", "3 of 3"]
    assert original[-1][4].startswith("built in 0.5 s; smoke ")
    distroless = [s for s in steps if s[1] and "distroless" in s[1]]
    assert [s[0] for s in distroless] == ["done"]  # refused before any build: no base image offline
    assert distroless[0][4].startswith(f"not built: base image {DISTROLESS} is not available offline")
    assert sorted({s[2] for s in steps}) == list(range(1, total + 1))


def test_cli_plain_progress_on_stderr_keeps_json_stdout_clean(project: Path, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_engine(monkeypatch)
    monkeypatch.setenv("LLM_ENABLED", "false")
    result = CliRunner().invoke(app, ["run", str(project), "--real", "--json", "--disable-rag", "--candidate-limit",
                                      "5", "--out", str(tmp_path / "runs")])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    total = 1 + len(payload["run"]["candidates"])
    lines = result.stderr.splitlines()
    assert any(line.startswith("codi: [") and "analysing the project" in line for line in lines)
    assert any(f"building original, image 1 of {total}" in line for line in lines)
    assert any("re-building original (edit 3 of 3)" in line for line in lines)
    assert any("smoke-running original" in line for line in lines)
    assert any("distroless" in line and "not built: base image" in line for line in lines)
    assert any("writing the report" in line for line in lines)


def test_no_plain_progress_without_real(project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    result = CliRunner().invoke(app, ["run", str(project), "--no-llm", "--disable-rag", "--dry-run",
                                      "--out", str(tmp_path / "runs")])
    assert result.exit_code == 0, result.output
    assert "codi: [" not in result.stderr


def test_terminal_progress_is_rich_and_transient(monkeypatch: pytest.MonkeyPatch) -> None:
    err = io.StringIO()
    err.isatty = lambda: True  # type: ignore[method-assign]
    monkeypatch.setattr(sys, "stderr", err)
    with run_progress(real=True) as progress:
        assert progress is not None
        progress("build", "original", 1, 4)
        progress("done", "original", 1, 4, "built in 1.0 s; smoke passed")
    assert "original (1 of 4): built in 1.0 s; smoke passed" in err.getvalue()


def _measured_run(project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> RunResult:
    _fake_engine(monkeypatch)
    return run_project(project, RunOptions(out=tmp_path / "runs", llm=False, rag=False, real=True,
                                           candidate_limit=5))


def _check_80(out: str, result: RunResult) -> None:
    lines = out.splitlines()
    assert "…" not in out
    table = [line for line in lines if line.startswith(("┃", "│", "┏", "└"))]
    assert table and all(len(line) <= 80 for line in table)
    ids = [c.id for c in result.record.candidates]
    for cid in ["original", *ids]:
        assert any(line.startswith(f"│ {cid} ") for line in table), cid
    distroless = next(cid for cid in ids if "distroless" in cid)
    row = next(line for line in table if line.startswith(f"│ {distroless} "))
    assert "not built" in row and "failed" not in row
    assert any(line.startswith(f"not built: {distroless}: base image {DISTROLESS}") for line in lines)
    assert "left out at this width" in out


def test_table_fits_80_columns_rich_console(project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    result = _measured_run(project, tmp_path, monkeypatch)
    buffer = io.StringIO()
    show_run(result, dry_run=False, console=Console(file=buffer, width=80, highlight=False, soft_wrap=True))
    _check_80(buffer.getvalue(), result)


def test_table_fits_columns_80_env(project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    result = _measured_run(project, tmp_path, monkeypatch)
    monkeypatch.setenv("COLUMNS", "80")
    show_run(result, dry_run=False)
    _check_80(capsys.readouterr().out, result)
    monkeypatch.setenv("COLUMNS", "200")
    show_run(result, dry_run=False)
    wide = capsys.readouterr().out
    assert "layers" in wide and "resolves" in wide and "left out" not in wide
