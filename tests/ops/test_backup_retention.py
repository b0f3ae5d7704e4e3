"""Retention (--keep / --keep-days) never deletes the newest backup that verifies; drills are recorded."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from backupkit import copy_root, invoke, make_root

from codi.ops.backup import apply_retention, create_backup
from codi.ops.backup_layout import list_archives

T0 = datetime(2026, 1, 10, 12, 0, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_root(tmp_path_factory.mktemp("retention") / "runs", runs=1)


@pytest.fixture
def out(template: Path, tmp_path: Path) -> Path:
    return copy_root(template, tmp_path / "runs")


def _series(out: Path, days: int) -> list[Path]:
    """One backup a day for ``days`` days, oldest first (no retention)."""
    return [create_backup(out, now=T0 + timedelta(days=d)).archive for d in range(days)]


def test_keep_n_keeps_the_newest(out: Path) -> None:
    archives = _series(out, 4)
    deleted, kept = apply_retention(out / "_backups", keep=2, keep_days=None, now=T0 + timedelta(days=4))
    assert kept == archives[:1:-1] and sorted(deleted) == sorted(archives[:2])
    assert list_archives(out / "_backups") == archives[:1:-1]


def test_keep_days_keeps_the_young(out: Path) -> None:
    archives = _series(out, 5)
    deleted, _ = apply_retention(out / "_backups", keep=None, keep_days=1.5, now=T0 + timedelta(days=4))
    assert sorted(deleted) == sorted(archives[:3])


def test_the_newest_verified_backup_survives_any_rule(out: Path) -> None:
    archives = _series(out, 3)
    archives[2].write_bytes(archives[2].read_bytes()[:100])  # the newest is damaged
    deleted, kept = apply_retention(out / "_backups", keep=1, keep_days=None, now=T0 + timedelta(days=3))
    assert kept == [archives[2], archives[1]]  # the damaged newest (keep 1) and the newest good one
    assert deleted == [archives[0]]
    deleted, kept = apply_retention(out / "_backups", keep=0, keep_days=0, now=T0 + timedelta(days=30))
    assert kept == [archives[1]] and deleted == [archives[2]]


def test_create_applies_retention_after_verifying(out: Path) -> None:
    _series(out, 3)
    result = invoke("backup", "create", "--out", str(out), "--keep", "1", "--json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert len(data["deleted"]) == 3 and data["kept"] == [data["archive"]]
    assert list_archives(out / "_backups") == [Path(data["archive"])]


def test_two_backups_in_one_second_get_their_own_names(out: Path) -> None:
    first, second = create_backup(out, now=T0).archive, create_backup(out, now=T0).archive
    assert first != second and second.name.endswith("-2.tar.gz")


def test_drill_records_a_good_and_a_failed_drill(out: Path, tmp_path: Path) -> None:
    archive = create_backup(out).archive
    result = invoke("backup", "drill", str(archive), "--out", str(out), "--json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["ok"] is True and data["checks"]["memory_query"] and data["checks"]["report"]
    bad = tmp_path / "cut.tar.gz"
    bad.write_bytes(archive.read_bytes()[:2000])
    result = invoke("backup", "drill", str(bad), "--out", str(out))
    assert result.exit_code == 1 and result.stderr.startswith("codi: error: drill failed")
    lines = [json.loads(line) for line in (out / "_ops" / "drills.jsonl").read_text().splitlines()]
    assert [line["ok"] for line in lines] == [True, False]
    assert all(set(line) >= {"schema_version", "ts", "archive", "ok", "detail"} for line in lines)
    assert lines[1]["archive"] == str(bad.resolve())
    assert not list(out.parent.glob(".root.restore-*"))
