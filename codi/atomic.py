"""Atomic file writes for every part of CODI: a temp file in the same folder, fsync, then rename over the original."""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import tempfile
from pathlib import Path


def atomic_write_text(path: Path, text: str, keep_backup: bool = False) -> Path | None:
    """Write ``text`` to ``path`` so that readers see either the old or the new file, never half.

    Bytes are written exactly as in ``text`` (UTF-8, undecodable input bytes kept through
    surrogateescape; CRLF stays CRLF). The original's permission bits are kept. With
    ``keep_backup`` the old file stays beside it as ``<name>.orig`` (see ``keep_copy``); the copy's path
    is returned.
    """
    data = text.encode("utf-8", errors="surrogateescape")
    return atomic_write_bytes(path, data, keep_backup)


def keep_copy(path: Path) -> Path:
    """A copy of ``path`` beside it: ``<name>.orig``, or ``<name>.orig-2``, ``-3``... when that name is taken.

    An existing copy is never overwritten (it may be the only original left, or a user's own file) and
    never written through (a planted ``Dockerfile.orig`` link to a file elsewhere); one that already holds
    these very bytes is reused."""
    data = path.read_bytes()
    for n in range(1, 10_000):
        backup = path.with_name(path.name + (".orig" if n == 1 else f".orig-{n}"))
        try:
            fd = os.open(backup, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o666)
        except FileExistsError:
            if not backup.is_symlink() and backup.is_file() and backup.read_bytes() == data:
                return backup
            continue
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        return backup
    raise FileExistsError(errno.EEXIST, "no free name for a copy of the original", str(path))


def atomic_write_bytes(path: Path, data: bytes, keep_backup: bool = False) -> Path | None:
    folder = path.parent if str(path.parent) else Path(".")
    mode: int | None = None
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        mode = None
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if mode is not None:
            os.chmod(tmp_name, mode)
        else:
            os.chmod(tmp_name, 0o666 & ~_umask())
        backup = keep_copy(path) if keep_backup and path.exists() else None
        os.replace(tmp_name, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
        raise
    return backup


def _umask() -> int:
    """The process umask. Linux shows it in /proc/self/status; reading it there leaves it alone, where
    os.umask(0) would set it to 0 for a moment, in which another thread's new file escapes it."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    current = os.umask(0)
    os.umask(current)
    return current
