"""Adopting a candidate (issue 20): `codi rewrite --apply` follows the run's recommendation, says which
candidate it applied and why not the recommended one, and the report ends with the command that adopts it."""

from __future__ import annotations

import json
import re
import shlex
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

import codi.cli.project_cmds  # noqa: F401  (registers the commands)
from codi.cli.app import app
from codi.policy import allows
from codi.service.run import RunOptions, run_project

REPO = Path(__file__).resolve().parents[2]
runner = CliRunner()


@pytest.fixture(autouse=True)
def _quiet(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("CODI_RISK_POLICY", raising=False)
    monkeypatch.setenv("CODI_RAG", "off")
    monkeypatch.setenv("LLM_ENABLED", "false")
    monkeypatch.chdir(tmp_path)


def _demo(tmp_path: Path, name: str) -> Path:
    project = tmp_path / name
    shutil.copytree(REPO / "demo" / name, project)
    return project


def _dry_run(project: Path) -> dict:  # type: ignore[type-arg]
    got = runner.invoke(app, ["run", str(project), "--dry-run", "--json", "--no-llm", "--disable-rag"])
    assert got.exit_code == 0, got.output
    return json.loads(got.stdout)["run"]  # type: ignore[no-any-return]


def test_apply_writes_the_recommended_candidate_when_the_policy_allows_it(tmp_path: Path) -> None:
    """demo/python: `run` recommends 002-python-pip-multistage; `--apply` used to write 001-fixed."""
    project = _demo(tmp_path, "python")
    run = _dry_run(project)
    rec = run["recommendation"]["candidate_id"]
    got = runner.invoke(app, ["rewrite", str(project), "--apply", "--risk-policy", "balanced"])
    assert got.exit_code == 0, got.output
    assert got.stdout.splitlines()[0].startswith(f"applied: {rec} ") and "recommended" in got.stdout.splitlines()[0]
    assert f"applied the recommended candidate {rec}" in got.stderr
    full = run_project(_demo(tmp_path / "again", "python"), RunOptions(out=tmp_path / "runs", llm=False, rag=False))
    assert full.run_dir is not None
    written = (project / "Dockerfile").read_text()
    assert written == (full.run_dir / f"candidates/{rec}.Dockerfile").read_text()


def test_apply_says_which_candidate_it_applied_instead_of_the_recommended_one(tmp_path: Path) -> None:
    """demo/go: the recommended candidate is medium risk; the conservative default applies the best low-risk
    one, names it and says why not the recommended one."""
    project = _demo(tmp_path, "go")
    run = _dry_run(project)
    rec = run["recommendation"]["candidate_id"]
    risks = {c["id"]: c["risk"] for c in run["candidates"]}
    assert risks[rec] != "low", "demo/go's recommendation is expected to need a wider policy"
    low = [c["id"] for c in run["candidates"] if c["risk"] == "low"]
    assert low, risks
    got = runner.invoke(app, ["rewrite", str(project), "--apply"])
    assert got.exit_code == 0, got.output
    applied = [ln.split()[1] for ln in got.stdout.splitlines() if ln.startswith("applied: ")]
    assert len(applied) == 1 and risks[applied[0]] == "low"
    assert f"applied {applied[0]}, the best candidate the conservative policy allows, not the recommended one" \
        in got.stderr
    assert f"the recommended {rec} has risk {risks[rec]}" in got.stderr and "--risk-policy balanced" in got.stderr
    # The proposed ones are listed best first, the recommended one first of all.
    assert got.stdout.splitlines()[0].startswith(f"proposed: {rec} ")


def test_report_ends_with_the_command_that_adopts_the_recommended_candidate(tmp_path: Path) -> None:
    project = _demo(tmp_path, "python")
    result = run_project(project, RunOptions(out=tmp_path / "runs", llm=False, rag=False))
    assert result.run_dir is not None and result.record.recommendation is not None
    rec = result.record.recommendation.candidate_id
    md = (result.run_dir / "reports" / "report.md").read_text()
    html = (result.run_dir / "reports" / "report.html").read_text()
    last_section = md[md.rindex("\n## "):]
    assert last_section.startswith("\n## Adopting the recommended candidate")
    command = re.search(r"```sh\n(.*?)\n```", last_section, re.S)
    assert command is not None
    assert md.rstrip().endswith(command.group(1) + "\n```")  # the report ends with the command
    words = shlex.split(command.group(1))
    assert words[:3] == ["codi", "rewrite", str(project)] and "--apply" in words
    assert words[words.index("--run") + 1] == str(result.run_dir.resolve())  # not the staging folder
    risk = next(c.risk for c in result.record.candidates if c.id == rec)
    assert ("--risk-policy" in words) == (not allows("conservative", risk))
    assert f'<pre id="adopt-command">{command.group(1)}</pre>' in html.replace("&#39;", "'")
    # The command does what it says: the run's own candidate file, byte for byte.
    got = runner.invoke(app, words[1:])
    assert got.exit_code == 0, got.output
    assert (project / "Dockerfile").read_bytes() == (result.run_dir / f"candidates/{rec}.Dockerfile").read_bytes()
    assert (project / "Dockerfile.orig").is_file()
    # Run again on the edited Dockerfile: refused, the run was made from the original.
    again = runner.invoke(app, words[1:])
    assert again.exit_code == 2 and "changed since run" in again.stderr


def test_run_prints_the_adopt_command(tmp_path: Path) -> None:
    project = _demo(tmp_path, "go")
    got = runner.invoke(app, ["run", str(project), "--out", str(tmp_path / "runs"), "--no-llm", "--disable-rag"])
    assert got.exit_code == 0, got.output
    lines = got.stdout.splitlines()
    assert lines[-2].startswith("adopt ") and lines[-1].strip().startswith(f"codi rewrite {project} --apply --run ")


def test_run_option_needs_apply(tmp_path: Path) -> None:
    got = runner.invoke(app, ["rewrite", str(_demo(tmp_path, "go")), "--run", str(tmp_path)])
    assert got.exit_code == 2 and "--run goes with --apply" in got.stderr
