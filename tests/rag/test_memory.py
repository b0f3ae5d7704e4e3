"""The run memory: migrations, concurrent writers, BM25 + structured retrieval, rebuild, CLI."""

from __future__ import annotations

import json
import sqlite3
import threading
from pathlib import Path

from typer.testing import CliRunner

import codi.cli.llm_cmds  # noqa: F401  (registers the commands)
from codi.cli.app import app
from codi.rag.index_protocol import RunMemoryError
from codi.rag.memory import (
    Outcome,
    RunDoc,
    add,
    doc_from_run_dir,
    rebuild,
    remember_run,
    rule_evidence,
    search,
)
from codi.rag.store import SCHEMA_VERSION, connect, ensure_schema, index_path, open_index, schema_version

runner = CliRunner()


def doc(run_id: str, stack: str, base: str, findings: list[str], rule: str = "r", pct: float = -50.0,
        applied: bool = False) -> RunDoc:
    return RunDoc(run_id=run_id, stack=stack, project_name=run_id, base_images=[base], findings=findings,
                  dockerfile=f"FROM {base}\nRUN build\n",
                  outcomes=[Outcome(f"002-{rule}", rule, "variant", "estimated", pct, 0, True, applied)])


def write_run_dir(root: Path, run_id: str, stack: str, base: str, codes: list[str], rule: str, pct: float) -> Path:
    run = root / run_id
    (run / "metadata").mkdir(parents=True)
    (run / "inputs").mkdir()
    (run / "inputs" / "Dockerfile").write_text(f"FROM {base}\n")
    cid = f"002-{rule}"
    (run / "metadata" / "run.json").write_text(json.dumps({
        "run_id": run_id, "stack": stack, "project_name": "p", "created_at": "2026-01-01T00:00:00Z",
        "inputs": {"Dockerfile": "inputs/Dockerfile"},
        "candidates": [{"id": cid, "rule_id": rule, "kind": "variant", "verified": True}]}))
    (run / "metadata" / "analysis.json").write_text(json.dumps({
        "stages": [{"base": base, "base_resolved": base}], "findings": [{"code": c} for c in codes],
        "detection": {"primary": {"evidence": [{"file": "package.json", "matched": "express"}]}}}))
    (run / "metadata" / "metrics.json").write_text(json.dumps({
        "candidates": [{"candidate_id": cid, "kind": "estimated", "size_delta_pct": pct, "layers_delta": 0}]}))
    return run


def test_migrations_are_versioned_and_idempotent(tmp_path: Path) -> None:
    conn = connect(tmp_path / "i.sqlite3")
    assert ensure_schema(conn) == list(range(1, SCHEMA_VERSION + 1))
    assert ensure_schema(conn) == [] and schema_version(conn) == SCHEMA_VERSION
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    conn.close()


def test_search_prefers_same_stack_and_findings(tmp_path: Path) -> None:
    conn = open_index(tmp_path)
    add(conn, doc("node-1", "node", "node:20", ["DL3016", "CD201"], "node-multistage", -70))
    add(conn, doc("py-1", "python", "python:3.12", ["DL3042", "CD201"], "python-pip-multistage", -80))
    add(conn, doc("py-2", "python", "python:3.11", ["DL3013"], "python-slim", -10))
    add(conn, doc("go-1", "go", "golang:1.22", ["CD105"], "go-static", -90))
    me = doc("me", "python", "python:3.12-slim", ["DL3042", "CD201"], "python-pip-multistage")
    matches = search(conn, me)
    assert [m["run_id"] for m in matches][:2] == ["py-1", "py-2"]
    assert set(matches[0]) == {"run_id", "score", "stack", "summary"} and "python" in matches[0]["summary"]
    assert all(m["run_id"] != "me" for m in matches)
    evidence = rule_evidence(conn, matches)
    assert evidence["python-pip-multistage"] > evidence.get("python-slim", 0.0)
    conn.close()


def test_re_adding_replaces(tmp_path: Path) -> None:
    conn = open_index(tmp_path)
    add(conn, doc("a", "python", "python:3.12", ["DL3042"]))
    add(conn, doc("a", "python", "python:3.12", ["DL3042"], applied=True))
    assert conn.execute("SELECT count(*) FROM runs_fts").fetchone()[0] == 1
    assert conn.execute("SELECT applied FROM outcomes").fetchall()[0][0] == 1
    conn.close()


def test_concurrent_writers(tmp_path: Path) -> None:
    open_index(tmp_path).close()
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            conn = open_index(tmp_path)
            for i in range(10):
                add(conn, doc(f"w{n}-{i}", "python", "python:3.12", ["DL3042"]))
            conn.close()
        except (sqlite3.Error, RunMemoryError, OSError) as exc:
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    conn = open_index(tmp_path)
    assert conn.execute("SELECT count(*) FROM runs").fetchone()[0] == 40
    conn.close()


def test_run_dirs_rebuild_and_cli(tmp_path: Path) -> None:
    out = tmp_path / "runs"
    write_run_dir(out, "r1", "node", "node:20", ["DL3016"], "node-multistage", -60)
    write_run_dir(out, "r2", "python", "python:3.12", ["DL3042"], "python-pip-multistage", -80)
    d = doc_from_run_dir(out / "r2")
    assert d.stack == "python" and d.findings == ["DL3042"] and d.outcomes[0].size_delta_pct == -80
    assert remember_run(out, out / "r1") == "r1"
    assert rebuild(out) == (2, [])
    result = runner.invoke(app, ["index", "ensure-schema", "--out", str(out)])
    assert result.exit_code == 0 and "already current" in result.stdout
    result = runner.invoke(app, ["index", "rebuild", "--out", str(out)])
    assert result.exit_code == 0 and "2 run(s)" in result.stdout
    assert index_path(out).is_file()
    fresh = tmp_path / "fresh"
    result = runner.invoke(app, ["index", "ensure-schema", "--out", str(fresh)])
    assert result.exit_code == 0 and "applied v1" in result.stdout
