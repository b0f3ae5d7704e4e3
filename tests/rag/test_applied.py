"""Applied candidates: a later `codi run` sees the project now uses one, or the user marks it by hand."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

import codi.cli.llm_cmds  # noqa: F401  (registers the commands)
from codi.cli.app import app
from codi.rag.memory import normalise, rebuild, text_hash
from codi.rag.store import index_path
from codi.service.run import RunOptions, RunResult, run_project

REPO = Path(__file__).resolve().parents[2]
runner = CliRunner()


def _project(tmp: Path, name: str) -> Path:
    folder = tmp / name
    shutil.copytree(REPO / "demo" / "python", folder)
    return folder


def _run(project: Path, out: Path) -> RunResult:
    return run_project(project, RunOptions(out=out, llm=False))


def _rag(result: RunResult) -> dict:  # type: ignore[type-arg]
    assert result.run_dir is not None
    return json.loads((result.run_dir / "metadata" / "rag.json").read_text())  # type: ignore[no-any-return]


pytestmark = pytest.mark.usefixtures("backend")  # SQLite and Postgres (CODI_DB_URL)


def _applied_rows(out: Path) -> list[tuple[str, str, str]]:
    url = os.environ.get("CODI_DB_URL")
    if url:
        import psycopg

        with psycopg.connect(url) as pg:
            if pg.execute("SELECT to_regclass('rag_outcomes')").fetchone() == (None,):
                return []
            rows = pg.execute("SELECT run_id, candidate_id, applied_how FROM rag_outcomes WHERE applied").fetchall()
        assert not index_path(out).exists()
        return [tuple(r) for r in rows]
    conn = sqlite3.connect(index_path(out))
    try:
        return conn.execute("SELECT run_id, candidate_id, applied_how FROM outcomes WHERE applied = 1").fetchall()
    finally:
        conn.close()


def _variant(result: RunResult) -> tuple[str, str, str]:
    """(candidate id, rule id, text) of the first candidate that is not the fixed original."""
    assert result.run_dir is not None
    c = next(c for c in result.record.candidates if c.kind != "fixed")
    return c.id, c.rule_id, (result.run_dir / c.path).read_text()


def test_normalise_ignores_comments_and_whitespace_only() -> None:
    a = "# syntax=docker/dockerfile:1\nFROM python:3.12-slim\nRUN pip install \\\n    flask\n"
    b = "FROM   python:3.12-slim\n\n# a note\nRUN pip install flask\n"
    assert normalise(a) == normalise(b) == "FROM python:3.12-slim RUN pip install flask"
    assert text_hash(a) == text_hash(b) != text_hash(b.replace("flask", "django"))


def test_a_later_run_detects_the_applied_candidate(tmp_path: Path) -> None:
    out = tmp_path / "runs"
    project = _project(tmp_path, "shop")
    first = _run(project, out)
    assert _rag(first)["applied"] == [] and _applied_rows(out) == []
    cid, rule, text = _variant(first)
    # The user copies the candidate in, reformatted and with a comment of their own.
    (project / "Dockerfile").write_text("# applied from CODI\n" + text.replace("\n", "\n\n"))
    second = _run(project, out)
    rag = _rag(second)
    assert [(a["run_id"], a["candidate_id"], a["how"]) for a in rag["applied"]] == [(first.run_id, cid, "detected")]
    assert first.run_dir is not None
    feedback = json.loads((first.run_dir / "metadata" / "feedback.json").read_text())
    assert feedback["schema_version"] == 1
    assert [(f["candidate_id"], f["how"], f["seen_in_run"]) for f in feedback["applied"]] == [
        (cid, "detected", second.run_id)]
    assert _applied_rows(out) == [(first.run_id, cid, "detected")]
    # This run already sees it: the earlier run is its best match and that rule gains the applied bonus.
    assert rag["matches"][0]["run_id"] == first.run_id and f"applied {rule}" in rag["matches"][0]["summary"]
    assert rag["evidence"][rule] >= 3.0
    # Running again on the same Dockerfile applies nothing new; a rebuilt index keeps the mark.
    assert _rag(_run(project, out))["applied"] == []
    assert rebuild(out)[0] == 3 and _applied_rows(out) == [(first.run_id, cid, "detected")]


def _with_secret(project: Path) -> None:
    text = (project / "Dockerfile").read_text()
    (project / "Dockerfile").write_text(text.replace("\nFROM python:3.12\n", "\nFROM python:3.12\nENV DB_PASSWORD=appliedPlanted-31\n", 1))
    assert "appliedPlanted-31" in (project / "Dockerfile").read_text()


def test_an_applied_candidate_holding_a_secret_is_detected(tmp_path: Path) -> None:
    """Candidates are the user's text verbatim (a redacted one could never equal the adopted file)."""
    out = tmp_path / "runs"
    project = _project(tmp_path, "withsecret")
    _with_secret(project)
    first = _run(project, out)
    cid, _, text = _variant(first)
    assert "ENV DB_PASSWORD=appliedPlanted-31" in text
    (project / "Dockerfile").write_text(text)
    rag = _rag(_run(project, out))
    assert [(a["run_id"], a["candidate_id"]) for a in rag["applied"]] == [(first.run_id, cid)]


def test_an_unchanged_project_with_a_secret_applies_nothing(tmp_path: Path) -> None:
    out = tmp_path / "runs"
    project = _project(tmp_path, "samesecret")
    _with_secret(project)
    _run(project, out)
    assert _rag(_run(project, out))["applied"] == [] and _applied_rows(out) == []


def test_an_unchanged_project_applies_nothing(tmp_path: Path) -> None:
    out = tmp_path / "runs"
    project = _project(tmp_path, "same")
    _run(project, out)
    assert _rag(_run(project, out))["applied"] == [] and _applied_rows(out) == []


def test_mark_applied_by_hand_reaches_similar_projects(tmp_path: Path) -> None:
    out = tmp_path / "runs"
    first = _run(_project(tmp_path, "billing"), out)
    cid, rule, _ = _variant(first)
    before = _rag(_run(_project(tmp_path, "orders"), out))
    bonus_before = before["evidence"].get(rule, 0.0)

    missing = runner.invoke(app, ["index", "mark-applied", "20990101T000000Z-python-nope", cid, "--out", str(out)])
    assert missing.exit_code == 2 and "no run 20990101T000000Z-python-nope" in missing.stderr
    wrong = runner.invoke(app, ["index", "mark-applied", first.run_id, "009-nope", "--out", str(out)])
    assert wrong.exit_code == 2 and cid in wrong.stderr and len(wrong.stderr.strip().splitlines()) == 1
    ok = runner.invoke(app, ["index", "mark-applied", first.run_id, cid, "--out", str(out)])
    assert ok.exit_code == 0, ok.output
    assert (first.run_id, cid, "manual") in _applied_rows(out)

    after = _rag(_run(_project(tmp_path, "invoices"), out))  # a similar project, run later
    match = next(m for m in after["matches"] if m["run_id"] == first.run_id)
    assert f"applied {rule}" in match["summary"]
    assert after["evidence"][rule] > bonus_before
