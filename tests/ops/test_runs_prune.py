"""`codi runs prune` removes run dirs and their run-memory rows together, or neither."""

from __future__ import annotations

import json
import os
from datetime import timedelta
from pathlib import Path

import pytest
from backupkit import copy_root, invoke, make_root

from codi.ops import prune as prune_mod
from codi.ops.prune import plan, prune_runs, run_time
from codi.rag.memory import run_dirs
from codi.rag.store import connect, index_path


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_root(tmp_path_factory.mktemp("prune") / "runs", runs=3)


@pytest.fixture
def out(template: Path, tmp_path: Path) -> Path:
    return copy_root(template, tmp_path / "runs")


def _rows(out: Path) -> dict[str, set[str]]:
    conn = connect(index_path(out))
    try:
        return {table: {str(r[0]) for r in conn.execute(f"SELECT run_id FROM {table}")}
                for table in ("runs", "outcomes", "runs_fts")}
    finally:
        conn.close()


def test_prune_removes_dirs_and_rows_together(out: Path) -> None:
    runs = [d.name for d in run_dirs(out)]
    assert _rows(out)["runs"] == set(runs)
    result = invoke("runs", "prune", "--out", str(out), "--keep", "1", "--json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["schema_version"] == 1 and data["kept"] == 1 and len(data["removed"]) == 2
    newest = max(runs, key=lambda r: (run_time(out / r), r))
    assert [d.name for d in run_dirs(out)] == [newest]
    rows = _rows(out)
    assert rows["runs"] == rows["runs_fts"] == {newest} and rows["outcomes"] <= {newest}
    assert not list(out.glob(".prune-*"))


def test_a_failure_midway_leaves_dirs_and_rows_in_place(out: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    before_dirs, before_rows = [d.name for d in run_dirs(out)], _rows(out)
    real_rename, calls = os.rename, []

    def flaky(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> None:
        calls.append(src)
        if len(calls) == 2:
            raise PermissionError(13, "Permission denied", str(src))
        real_rename(src, dst)

    monkeypatch.setattr(prune_mod.os, "rename", flaky)
    with pytest.raises(PermissionError):
        prune_runs(out, keep=0)
    monkeypatch.undo()
    assert [d.name for d in run_dirs(out)] == before_dirs
    assert _rows(out) == before_rows
    assert not list(out.glob(".prune-*"))


def test_keep_days_and_dry_run(out: Path) -> None:
    newest = max(run_time(d) for d in run_dirs(out))
    remove, kept = plan(out, keep=None, keep_days=1, now=newest + timedelta(days=2))
    assert remove and not kept
    result = prune_runs(out, keep_days=1, now=newest + timedelta(days=2), dry_run=True)
    assert len(result.removed) == 3 and len(run_dirs(out)) == 3
    assert prune_runs(out, keep_days=1, now=newest).removed == []


def test_prune_without_a_rule_is_a_usage_error(out: Path) -> None:
    result = invoke("runs", "prune", "--out", str(out))
    assert result.exit_code == 2 and result.stderr.startswith("codi: error: ")
    assert len(run_dirs(out)) == 3


def test_prune_without_run_memory_still_removes_dirs(out: Path) -> None:
    for name in os.listdir(index_path(out).parent):
        (index_path(out).parent / name).unlink()
    assert len(prune_runs(out, keep=1).removed) == 2
    assert not index_path(out).exists()  # pruning does not create a run memory
