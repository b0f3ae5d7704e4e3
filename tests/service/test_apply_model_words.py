"""`codi rewrite --apply --run DIR` shows the run's kept model sentence (issue 23: words where a reader
looks) when it writes the candidate that sentence explains, and only as one printable line: a run dir may
come from elsewhere (a CI artefact)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

import codi.cli.project_cmds  # noqa: F401  (registers `run` and `rewrite`)
from codi.cli.app import app

runner = CliRunner()
REPO = Path(__file__).resolve().parents[2]
WHY = "why (the local model, checked against the run's facts):"


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    tmp = tmp_path_factory.mktemp("words")
    project = tmp / "go"
    shutil.copytree(REPO / "demo" / "go", project)
    result = runner.invoke(app, ["run", str(project), "--out", str(tmp / "runs"), "--no-llm"])
    assert result.exit_code == 0, result.output
    (run_json,) = [p for p in (tmp / "runs").rglob("run.json") if p.parent.name == "metadata"]
    return project, run_json.parent.parent


def _apply(made: tuple[Path, Path], tmp_path: Path, words: object, policy: str) -> str:
    project, run_dir = tmp_path / "project", tmp_path / "run"
    shutil.copytree(made[0], project)
    shutil.copytree(made[1], run_dir)
    explain = run_dir / "metadata" / "explain.json"
    data = json.loads(explain.read_text(encoding="utf-8"))
    data["summary_model"] = words
    explain.write_text(json.dumps(data), encoding="utf-8")
    result = runner.invoke(app, ["rewrite", str(project), "--apply", "--run", str(run_dir), "--risk-policy", policy])
    assert result.exit_code == 0, result.output
    return result.stderr


def test_the_kept_sentence_is_shown_as_one_printable_line(made: tuple[Path, Path], tmp_path: Path) -> None:
    err = _apply(made, tmp_path, "\x1b[31mIt drops the toolchain\x07 from\nthe image.\x1b[0m", "aggressive")
    line = next(x for x in err.splitlines() if WHY in x)
    assert line.endswith("[31mIt drops the toolchain from the image. [0m") and "\x1b" not in err and "\x07" not in err


def test_no_words_when_another_candidate_is_written_or_the_run_has_none(made: tuple[Path, Path],
                                                                       tmp_path: Path) -> None:
    # conservative: the go demo's recommended candidate (risk medium) is not the one written
    assert WHY not in _apply(made, tmp_path / "a", "It drops the toolchain.", "conservative")
    assert WHY not in _apply(made, tmp_path / "b", None, "aggressive")
    assert WHY not in _apply(made, tmp_path / "c", {"not": "text"}, "aggressive")
