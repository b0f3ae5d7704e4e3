"""`codi rewrite --apply --run DIR` reads the candidate from the run's own candidates/ folder only (QA):
a run dir from elsewhere whose run.json names ../../etc/hostname, or whose candidate links out, must not
put another file's text over the user's Dockerfile."""

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


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(a project, the run dir `codi run` made of it)."""
    tmp = tmp_path_factory.mktemp("apply")
    project = tmp / "python"
    shutil.copytree(REPO / "demo" / "python", project)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("LLM_ENABLED", "false")
        result = runner.invoke(app, ["run", str(project), "--out", str(tmp / "runs"), "--no-llm"])
    assert result.exit_code == 0, result.output
    (run_json,) = [p for p in (tmp / "runs").rglob("run.json") if p.parent.name == "metadata"]
    return project, run_json.parent.parent


def _tampered(made: tuple[Path, Path], tmp_path: Path) -> tuple[Path, Path, dict[str, object]]:
    project, run_dir = made
    copy = tmp_path / "run"
    shutil.copytree(run_dir, copy)
    record = json.loads((copy / "metadata" / "run.json").read_text())
    return project, copy, record


def _apply(project: Path, run_dir: Path) -> tuple[int, str]:
    before = (project / "Dockerfile").read_bytes()
    result = runner.invoke(app, ["rewrite", str(project), "--apply", "--run", str(run_dir),
                                 "--risk-policy", "aggressive"])
    assert (project / "Dockerfile").read_bytes() == before, "the Dockerfile was written"
    assert not (project / "Dockerfile.orig").exists() and "Traceback" not in result.output
    return result.exit_code, result.stderr


def test_a_candidate_path_out_of_the_run_is_refused(made: tuple[Path, Path], tmp_path: Path) -> None:
    project, run_dir, record = _tampered(made, tmp_path)
    secret = tmp_path / "secret.txt"
    secret.write_text("not a Dockerfile\n")
    for cand in record["candidates"]:  # type: ignore[union-attr]
        cand["path"] = f"../{secret.name}"
    (run_dir / "metadata" / "run.json").write_text(json.dumps(record))
    code, err = _apply(project, run_dir)
    assert code == 2 and "outside" in err


def test_a_candidate_that_links_out_is_refused(made: tuple[Path, Path], tmp_path: Path) -> None:
    project, run_dir, _ = _tampered(made, tmp_path)
    secret = tmp_path / "secret.txt"
    secret.write_text("not a Dockerfile\n")
    for cand in (run_dir / "candidates").iterdir():
        cand.unlink()
        cand.symlink_to(secret)
    code, err = _apply(project, run_dir)
    assert code == 2 and "link to a file outside" in err
