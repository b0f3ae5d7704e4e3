"""Backup -> delete -> restore leaves every file byte-identical and the run memory answering the same."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest
from backupkit import copy_root, file_hashes, invoke, jobs_rows, make_root, memory_answers

from codi.ops.backup import create_backup
from codi.ops.backup_layout import BackupError
from codi.ops.restore import restore_backup


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_root(tmp_path_factory.mktemp("template") / "runs", runs=3)


@pytest.fixture
def out(template: Path, tmp_path: Path) -> Path:
    return copy_root(template, tmp_path / "runs")


def test_backup_delete_restore_is_byte_identical(out: Path) -> None:
    before_files, before_memory = file_hashes(out), memory_answers(out)
    before_jobs = jobs_rows(out / ".codi-state")
    before_audit = (out / "_audit" / "audit.jsonl").read_bytes()
    result = invoke("backup", "create", "--out", str(out), "--json")
    assert result.exit_code == 0, result.stderr
    archive = Path(json.loads(result.stdout)["archive"])
    assert archive.parent == out / "_backups" and archive.name.startswith("codi-backup-")

    for child in out.iterdir():  # the disaster: everything but the backups folder is gone
        if child.name != "_backups":
            shutil.rmtree(child) if child.is_dir() else child.unlink()

    result = invoke("backup", "restore", str(archive), "--out", str(out), "--json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["schema_version"] == 1 and data["safety_copies"] == []
    assert file_hashes(out) == before_files
    assert memory_answers(out) == before_memory
    assert jobs_rows(out / ".codi-state") == before_jobs
    assert (out / "_audit" / "audit.jsonl").read_bytes().startswith(before_audit)
    assert archive.is_file()  # the backups folder survives the swap


def test_manifest_lists_hashes_row_counts_and_version(out: Path) -> None:
    result = create_backup(out)
    m = result.manifest
    assert m["schema_version"] == 1 and m["kind"] == "codi-backup" and m["codi_version"]
    assert len(m["runs"]) == 3
    roles = {e["role"] for e in m["members"]}
    assert roles == {"run", "run-memory", "state-db", "bundle", "audit", "traces"}
    assert all(len(e["sha256"]) == 64 for e in m["members"])
    dbs = {d["path"]: d for d in m["databases"]}
    assert dbs["out/_rag/index.sqlite3"]["tables"]["runs"] == 3
    assert dbs["state/jobs.sqlite"]["tables"] == {"jobs": 5}


def test_snapshot_sees_uncheckpointed_wal_writes(out: Path) -> None:
    """The job database is live (WAL, an open writer): the online backup still holds every committed row."""
    conn = sqlite3.connect(out / ".codi-state" / "jobs.sqlite")
    conn.execute("PRAGMA wal_autocheckpoint=0")
    conn.execute("INSERT INTO jobs VALUES ('late', 'running')")
    conn.commit()
    try:
        manifest = create_backup(out).manifest
    finally:
        conn.close()
    assert {d["path"]: d["tables"] for d in manifest["databases"]}["state/jobs.sqlite"] == {"jobs": 6}


def test_no_runs_leaves_run_dirs_out(out: Path) -> None:
    manifest = create_backup(out, include_runs=False).manifest
    assert manifest["runs"] == [] and manifest["includes_runs"] is False
    assert not any(e["role"] == "run" for e in manifest["members"])


def test_restore_refuses_a_non_empty_root_without_force(out: Path, tmp_path: Path) -> None:
    archive = create_backup(out).archive
    result = invoke("backup", "restore", str(archive), "--out", str(out))
    assert result.exit_code == 2
    assert result.stderr.startswith("codi: error: ") and "--force" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_force_keeps_a_safety_copy(out: Path) -> None:
    archive = create_backup(out).archive
    (out / "newer-note.txt").write_text("written after the backup\n", encoding="utf-8")
    result = restore_backup(archive, out, force=True, doctor=False)
    [safety] = result.safety_copies
    assert safety.name.startswith("runs.pre-restore-") and (safety / "newer-note.txt").is_file()
    assert not (out / "newer-note.txt").exists()
    assert (out / "_backups" / archive.name).is_file()
    assert not list(out.parent.glob(".runs.restore-*"))  # no staging folder left behind


def test_external_state_dir_is_restored_there(out: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    state = tmp_path / "state"
    shutil.move(out / ".codi-state", state)
    monkeypatch.setenv("CODI_STATE_DIR", str(state))
    archive = create_backup(out, dest=tmp_path / "bk").archive
    shutil.rmtree(out)
    shutil.rmtree(state)
    restore_backup(archive, out, doctor=False)
    assert jobs_rows(state) == [(f"j{i}", "done") for i in range(5)]
    assert (state / "bundles" / "rules" / "1.0.0" / "rules.yml").is_file()
    assert not (out / ".codi-state").exists()


def test_restore_of_a_missing_file_is_a_usage_error(tmp_path: Path) -> None:
    result = invoke("backup", "restore", str(tmp_path / "nope.tar.gz"), "--out", str(tmp_path / "r"))
    assert result.exit_code == 2 and "no such backup file" in result.stderr
    with pytest.raises(BackupError):
        restore_backup(tmp_path / "nope.tar.gz", tmp_path / "r")


def test_help_pages() -> None:
    for command in ("create", "verify", "restore", "drill"):
        result = invoke("backup", command, "--help")
        assert result.exit_code == 0 and "Exit codes" in result.stdout
    assert invoke("runs", "prune", "--help").exit_code == 0
