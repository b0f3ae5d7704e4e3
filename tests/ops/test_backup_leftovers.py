"""Restore never deletes the previous root; killed backups/restores leave nothing that grows; names are unique."""

from __future__ import annotations

import json
import os
import shlex
import signal
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import pytest
from backupkit import copy_root, invoke, make_root

from codi.ops import restore as restore_mod
from codi.ops.backup import create_backup
from codi.ops.leftovers import MARKER, claim
from codi.ops.restore import RestoreIncomplete, restore_backup

T0 = datetime(2026, 3, 1, 9, 30, 0, tzinfo=UTC)
STAMP = "20260301T093000Z"


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_root(tmp_path_factory.mktemp("leftovers") / "runs", runs=1)


@pytest.fixture
def out(template: Path, tmp_path: Path) -> Path:
    return copy_root(template, tmp_path / "runs")


def _note(out: Path) -> None:
    (out / "newer-note.txt").write_text("written after the backup\n", encoding="utf-8")


def _stale(folder: Path, content: str = "x") -> Path:
    """A working folder as a killed process leaves it: the marker is there, nobody holds its lock."""
    folder.mkdir()
    (folder / MARKER).write_text("12345\n", encoding="utf-8")
    (folder / "big.bin").write_text(content, encoding="utf-8")
    return folder


def test_a_taken_safety_copy_name_gets_the_next_number(out: Path) -> None:
    """The regression: the name was taken, the swap had happened, and the handler deleted the old root."""
    archive = create_backup(out).archive
    _note(out)
    taken = out.with_name(f"runs.pre-restore-{STAMP}")
    taken.mkdir()
    (taken / "earlier.txt").write_text("an earlier safety copy\n", encoding="utf-8")
    empty = out.with_name(f"runs.pre-restore-{STAMP}-2")
    empty.mkdir()  # an empty folder: a plain rename would silently replace it

    result = restore_backup(archive, out, force=True, now=T0, doctor=False)

    [safety] = result.safety_copies
    assert safety.name == f"runs.pre-restore-{STAMP}-3"
    assert (safety / "newer-note.txt").read_text(encoding="utf-8") == "written after the backup\n"
    assert (taken / "earlier.txt").is_file() and empty.is_dir() and not any(empty.iterdir())
    assert not (out / "newer-note.txt").exists() and (out / "_backups" / archive.name).is_file()


def test_two_restores_in_a_row_keep_both_previous_roots(out: Path) -> None:
    archive = create_backup(out).archive
    _note(out)
    first = invoke("backup", "restore", str(archive), "--out", str(out), "--force", "--json")
    (out / "second-note.txt").write_text("after the first restore\n", encoding="utf-8")
    second = invoke("backup", "restore", str(archive), "--out", str(out), "--force", "--json")
    assert first.exit_code == 0 and second.exit_code == 0, first.stderr + second.stderr
    [one] = json.loads(first.stdout)["safety_copies"]
    [two] = json.loads(second.stdout)["safety_copies"]
    assert one != two
    assert (Path(one) / "newer-note.txt").is_file() and (Path(two) / "second-note.txt").is_file()


@pytest.mark.parametrize("failure", [OSError(13, "Permission denied"), KeyboardInterrupt()])
def test_a_failure_after_the_swap_deletes_nothing_and_says_where(out: Path, failure: BaseException,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    archive = create_backup(out).archive
    _note(out)

    def fail(src: Path, dst: Path) -> Path:
        raise failure

    monkeypatch.setattr(restore_mod, "move_to_free_name", fail)
    with pytest.raises(RestoreIncomplete) as caught:
        restore_backup(archive, out, force=True, doctor=False)
    message = str(caught.value)
    [kept] = list(out.parent.glob(".runs.restore-*"))
    assert f"it is kept at {kept}" in message and str(out) in message
    assert (kept / "newer-note.txt").is_file()  # the previous root, whole
    assert not (out / "newer-note.txt").exists()  # the restore itself is in place

    # the next restore does not sweep it (it may hold data): it names it with the command
    monkeypatch.undo()
    again = invoke("backup", "restore", str(archive), "--out", str(out), "--force")
    assert again.exit_code == 0, again.stderr
    assert f"rm -rf -- {shlex.quote(str(kept))}" in again.stderr and (kept / "newer-note.txt").is_file()


def test_a_failed_swap_is_a_one_line_error_naming_the_old_root(out: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    archive = create_backup(out).archive
    _note(out)
    monkeypatch.setattr(restore_mod, "move_to_free_name", lambda src, dst: (_ for _ in ()).throw(OSError(28, "No space")))
    result = invoke("backup", "restore", str(archive), "--out", str(out), "--force")
    assert result.exit_code == 2 and result.stderr.startswith("codi: error: ")
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.output
    [kept] = list(out.parent.glob(".runs.restore-*"))
    assert str(kept) in result.stderr and (kept / "newer-note.txt").is_file()


def test_stale_restore_staging_is_swept_live_and_unmarked_ones_are_not(out: Path) -> None:
    archive = create_backup(out).archive
    stale = _stale(out.with_name(".runs.restore-dead1"))
    live = out.with_name(".runs.restore-live1")
    live.mkdir()
    held = claim(live)  # a concurrent restore still working
    try:
        result = restore_backup(archive, out, force=True, doctor=False)
        assert result.cleaned == [stale] and not stale.exists()
        assert live.is_dir() and (live / MARKER).is_file() and result.notes == []
    finally:
        held.release()


def test_stale_backup_staging_is_swept_and_old_partials_are_named(out: Path) -> None:
    dest = out / "_backups"
    dest.mkdir()
    stale = _stale(dest / ".codi-backup-stage-dead1", "a" * 4096)
    live = dest / ".codi-backup-stage-live1"
    live.mkdir()
    partial = dest / ".codi-backup-20260101T000000Z.tar.gz.abc123.partial"
    partial.write_bytes(b"\x1f\x8b")
    held = claim(live)
    try:
        result = invoke("backup", "create", "--out", str(out), "--json")
    finally:
        held.release()
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["cleaned"] == [str(stale)] and not stale.exists() and live.is_dir()
    assert data["leftovers"] == [f"{partial} is a partial archive of an interrupted backup; "
                                 f"remove it with: rm -f -- {shlex.quote(str(partial))}"]
    assert f"rm -f -- {shlex.quote(str(partial))}" in result.stderr
    assert {p.name for p in dest.iterdir() if p.name.startswith(".")} == {live.name, partial.name}


def test_backup_killed_with_sigkill_is_cleaned_by_the_next(out: Path) -> None:
    """A real ``kill -9`` in the middle of a create: its staging folder goes on the next create."""
    script = (
        "import sys, time\n"
        "from pathlib import Path\n"
        "import codi.ops.backup as b\n"
        "def stuck(path, stage, manifest):\n"
        "    print('staged', flush=True)\n"
        "    time.sleep(120)\n"
        "b._write_archive = stuck\n"
        "b.create_backup(Path(sys.argv[1]))\n"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    proc = subprocess.Popen([sys.executable, "-c", script, str(out)], stdout=subprocess.PIPE, text=True, env=env)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "staged"
        [staging] = list((out / "_backups").glob(".codi-backup-stage-*"))
        assert any(staging.rglob("*.sqlite3"))
        busy = invoke("backup", "create", "--out", str(out), "--json")
        assert busy.exit_code == 0 and staging.is_dir()  # still alive: not touched
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        if proc.stdout is not None:
            proc.stdout.close()
    after = invoke("backup", "create", "--out", str(out), "--json")
    assert after.exit_code == 0, after.stderr
    assert json.loads(after.stdout)["cleaned"] == [str(staging)] and not staging.exists()


def test_concurrent_creates_in_one_second_get_their_own_archives(out: Path) -> None:
    with ThreadPoolExecutor(max_workers=3) as pool:
        archives = list(pool.map(lambda _: create_backup(out, now=T0).archive, range(3)))
    assert len(set(archives)) == 3 and all(a.is_file() for a in archives)
    assert {a.name for a in archives} == {f"codi-backup-{STAMP}{n}.tar.gz" for n in ("", "-2", "-3")}
