"""Test data for the backup tests: an output root with real runs, run memory, job state, bundles, audit log."""

from __future__ import annotations

import hashlib
import io
import shutil
import sqlite3
import tarfile
from pathlib import Path
from typing import Any

from typer.testing import CliRunner, Result

import codi.cli.ops_backup_cmds  # noqa: F401  (attaches `backup` and `runs` to the app)
from codi.cli.app import app
from codi.rag.memory import doc_from_run_dir, run_dirs, search
from codi.rag.store import connect, index_path
from codi.service.run import RunOptions, run_project

DEMO = Path(__file__).resolve().parents[2] / "demo" / "go"
# Backup records are not in a snapshot; SQLite files are snapshots (compared by their answers); the audit
# log gains the restore's own line (compared as a prefix).
SKIP_COMPARE = ("_backups", "_ops", "_rag", "_audit")


def make_root(out: Path, runs: int = 3) -> Path:
    """``out`` with ``runs`` real runs of demo/go, a job database, an installed bundle and an audit log."""
    for _ in range(runs):
        run_project(DEMO, RunOptions(llm=False, out=out))
    state = out / ".codi-state"
    state.mkdir(exist_ok=True)
    conn = sqlite3.connect(state / "jobs.sqlite")
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("CREATE TABLE jobs (id TEXT PRIMARY KEY, state TEXT)")
    conn.executemany("INSERT INTO jobs VALUES (?, ?)", [(f"j{i}", "done") for i in range(5)])
    conn.commit()
    conn.close()
    bundle = state / "bundles" / "rules" / "1.0.0"
    bundle.mkdir(parents=True)
    (bundle / "rules.yml").write_text("version: 1\n", encoding="utf-8")
    (bundle / "bundle.json").write_text('{"name": "rules", "version": "1.0.0"}\n', encoding="utf-8")
    audit = out / "_audit"
    audit.mkdir(exist_ok=True)
    if not (audit / "audit.jsonl").is_file():  # runs audit themselves where codi.telemetry.audit exists
        (audit / "audit.jsonl").write_text('{"action": "run"}\n{"action": "fix-apply"}\n', encoding="utf-8")
    return out


def copy_root(template: Path, dest: Path) -> Path:
    shutil.copytree(template, dest, symlinks=True)
    return dest


def file_hashes(root: Path) -> dict[str, str]:
    """sha256 of every file under ``root`` except the run memory and backup records."""
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*"))
            if p.is_file() and p.relative_to(root).parts[0] not in SKIP_COMPARE and p.suffix != ".sqlite"}


def memory_answers(out: Path) -> dict[str, Any]:
    """What the run memory says: its rows, and the similar runs it finds for each run."""
    conn = connect(index_path(out))
    try:
        answers: dict[str, Any] = {
            "runs": [tuple(r) for r in conn.execute("SELECT * FROM runs ORDER BY run_id")],
            "outcomes": [tuple(r) for r in conn.execute("SELECT * FROM outcomes ORDER BY run_id, candidate_id")],
            "fts": [tuple(r) for r in conn.execute("SELECT run_id FROM runs_fts WHERE runs_fts MATCH 'go' "
                                                  "ORDER BY run_id")],
        }
        for run in run_dirs(out):
            answers[run.name] = search(conn, doc_from_run_dir(run))
        return answers
    finally:
        conn.close()


def jobs_rows(state: Path) -> list[tuple[str, str]]:
    conn = sqlite3.connect(state / "jobs.sqlite")
    try:
        return [tuple(r) for r in conn.execute("SELECT id, state FROM jobs ORDER BY id")]
    finally:
        conn.close()


def rewrite_archive(src: Path, dest: Path, change: dict[str, bytes | None] | None = None,
                    extra: dict[str, bytes] | None = None) -> None:
    """Copy a backup member by member; ``change`` replaces (bytes) or drops (None) members, ``extra`` adds."""
    change = change or {}
    with tarfile.open(src, "r:gz") as old, tarfile.open(dest, "w:gz") as new:
        for member in old.getmembers():
            data = old.extractfile(member).read() if member.isfile() else b""  # type: ignore[union-attr]
            if member.name in change:
                replacement = change[member.name]
                if replacement is None:
                    continue
                data = replacement
            member.size = len(data)
            new.addfile(member, io.BytesIO(data))
        for name, data in (extra or {}).items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            new.addfile(info, io.BytesIO(data))


def invoke(*args: str, env: dict[str, str | None] | None = None) -> Result:
    runner = CliRunner(env={"CODI_OUTPUT_ROOT": None, "CODI_STATE_DIR": None, **(env or {})})
    return runner.invoke(app, list(args))
