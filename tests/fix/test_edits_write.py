"""Edits apply exactly; atomic writes keep bytes, line endings and permissions."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from codi.atomic import atomic_write_text
from codi.fix.edits import apply_edits, group_fits
from codi.rules.base import Edit


def test_apply_edits_in_order_and_untouched_text_kept() -> None:
    text = "FROM a\r\nRUN x\r\n"
    new, skipped = apply_edits(text, [Edit(12, 13, "y"), Edit(0, 4, "from")])
    assert new == "from a\r\nRUN y\r\n"
    assert skipped == []


def test_overlapping_and_out_of_range_edits_are_left_out() -> None:
    text = "abcdef"
    new, skipped = apply_edits(text, [Edit(0, 3, "X"), Edit(2, 4, "Y"), Edit(3, 3, "Z"), Edit(5, 99, "!")])
    assert new == "XZdef"
    assert Edit(2, 4, "Y") in skipped and Edit(5, 99, "!") in skipped
    assert not group_fits(text, [Edit(1, 2, "a"), Edit(1, 2, "b")])


def test_two_inserts_at_one_point_are_not_both_taken() -> None:
    new, skipped = apply_edits("ab", [Edit(1, 1, "X"), Edit(1, 1, "Y")])
    assert new == "aXb" and skipped == [Edit(1, 1, "Y")]


def test_atomic_write_keeps_mode_bytes_and_backup(tmp_path: Path) -> None:
    target = tmp_path / "Dockerfile"
    target.write_bytes(b"FROM a\r\n")
    os.chmod(target, 0o640)
    atomic_write_text(target, "FROM b\r\n\udcff\n", keep_backup=True)
    assert target.read_bytes() == b"FROM b\r\n\xff\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert (tmp_path / "Dockerfile.orig").read_bytes() == b"FROM a\r\n"
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_atomic_write_failure_leaves_original(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "Dockerfile"
    target.write_text("FROM a\n")

    def boom(src: str, dst: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError):
        atomic_write_text(target, "FROM b\n")
    assert target.read_text() == "FROM a\n"
    assert [p.name for p in tmp_path.iterdir()] == ["Dockerfile"]


@pytest.mark.skipif(not Path("/proc/self/status").is_file(), reason="needs Linux's /proc/self/status")
def test_a_new_file_follows_the_umask_without_changing_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Setting the umask, even for a moment, would let another thread's new file escape it (a server
    writes run dirs from several threads): the umask is read, never set."""
    old = os.umask(0o027)
    try:
        def no_set(mask: int) -> int:
            raise AssertionError("os.umask was called")

        monkeypatch.setattr(os, "umask", no_set)
        atomic_write_text(tmp_path / "new.txt", "x\n")
    finally:
        monkeypatch.undo()
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "new.txt").stat().st_mode) == 0o640
