"""A damaged archive is rejected (exit 1) and the first bad member is named; nothing is restored from it."""

from __future__ import annotations

import json
import tarfile
from pathlib import Path

import pytest
from backupkit import invoke, make_root, rewrite_archive

from codi.ops.backup import create_backup
from codi.ops.backup_verify import verify_archive
from codi.ops.restore import BadArchive, restore_backup


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = make_root(tmp_path_factory.mktemp("corrupt") / "runs", runs=1)
    return create_backup(out).archive


def _members(archive: Path) -> list[str]:
    with tarfile.open(archive, "r:gz") as tar:
        return [m.name for m in tar.getmembers() if m.isfile()]


def _report_member(archive: Path) -> str:
    return next(n for n in _members(archive) if n.endswith("reports/report.md"))


def test_a_sound_archive_verifies(archive: Path) -> None:
    result = invoke("backup", "verify", str(archive), "--json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["schema_version"] == 1 and data["ok"] is True and data["first_bad_member"] is None
    assert data["members_checked"] == len(_members(archive)) - 1  # all but the manifest


def test_a_flipped_byte_in_a_member_is_named(archive: Path, tmp_path: Path) -> None:
    name = _report_member(archive)
    with tarfile.open(archive, "r:gz") as tar:
        data = bytearray(tar.extractfile(name).read())  # type: ignore[union-attr]
    data[len(data) // 2] ^= 0x01
    bad = tmp_path / "flipped.tar.gz"
    rewrite_archive(archive, bad, change={name: bytes(data)})
    result = invoke("backup", "verify", str(bad))
    assert result.exit_code == 1
    assert result.stderr.startswith("codi: error: ") and name in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr


def test_a_damaged_database_fails_its_hash(archive: Path, tmp_path: Path) -> None:
    name = "out/_rag/index.sqlite3"
    with tarfile.open(archive, "r:gz") as tar:
        data = bytearray(tar.extractfile(name).read())  # type: ignore[union-attr]
    data[200:208] = b"\xff" * 8
    bad = tmp_path / "db.tar.gz"
    rewrite_archive(archive, bad, change={name: bytes(data)})
    report = verify_archive(bad)
    assert not report.ok and report.first_bad == name


def test_a_flipped_byte_in_the_compressed_stream_is_rejected(archive: Path, tmp_path: Path) -> None:
    raw = bytearray(archive.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    bad = tmp_path / "raw.tar.gz"
    bad.write_bytes(bytes(raw))
    report = verify_archive(bad)
    assert not report.ok and report.first_bad
    result = invoke("backup", "verify", str(bad))
    assert result.exit_code == 1 and report.first_bad in result.stderr


@pytest.mark.parametrize("keep", [0.3, 0.6, 0.95])
def test_a_truncated_archive_is_rejected(archive: Path, tmp_path: Path, keep: float) -> None:
    raw = archive.read_bytes()
    bad = tmp_path / "cut.tar.gz"
    bad.write_bytes(raw[: int(len(raw) * keep)])
    report = verify_archive(bad)
    assert not report.ok and report.first_bad
    assert invoke("backup", "verify", str(bad)).exit_code == 1


def test_missing_and_extra_members_are_named(archive: Path, tmp_path: Path) -> None:
    name = _report_member(archive)
    missing = tmp_path / "missing.tar.gz"
    rewrite_archive(archive, missing, change={name: None})
    report = verify_archive(missing)
    assert not report.ok and report.first_bad == name and "missing" in report.problems[0]
    extra = tmp_path / "extra.tar.gz"
    rewrite_archive(archive, extra, extra={"out/planted.txt": b"not in the manifest\n"})
    report = verify_archive(extra)
    assert not report.ok and report.first_bad == "out/planted.txt"


def test_a_path_escape_is_refused(archive: Path, tmp_path: Path) -> None:
    bad = tmp_path / "escape.tar.gz"
    rewrite_archive(archive, bad, extra={"out/../../escaped.txt": b"x\n"})
    report = verify_archive(bad)
    assert not report.ok and report.first_bad == "out/../../escaped.txt"


def test_restore_of_a_corrupt_archive_changes_nothing(archive: Path, tmp_path: Path) -> None:
    name = _report_member(archive)
    bad = tmp_path / "flipped.tar.gz"
    rewrite_archive(archive, bad, change={name: b"tampered\n"})
    target = tmp_path / "target"
    target.mkdir()
    (target / "keep.txt").write_text("mine\n", encoding="utf-8")
    with pytest.raises(BadArchive):
        restore_backup(bad, target, force=True, doctor=False)
    assert sorted(p.name for p in target.iterdir()) == ["keep.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["flipped.tar.gz", "target"]  # no staging left
    result = invoke("backup", "restore", str(bad), "--out", str(target), "--force")
    assert result.exit_code == 1 and name in result.stderr


def test_not_a_backup_is_rejected(tmp_path: Path) -> None:
    junk = tmp_path / "junk.tar.gz"
    junk.write_bytes(b"this is not gzip")
    assert invoke("backup", "verify", str(junk)).exit_code == 1
