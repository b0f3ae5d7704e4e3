"""Working folders that a killed backup or restore leaves behind: claimed while in use, swept when stale.

A backup's staging folder and a restore's staging folder hold a marker file ``.codi-claim`` that the
process keeps locked (``flock``) while it works. The kernel drops the lock when the process dies, even
after ``kill -9``, so a folder whose marker can be locked is stale and safe to delete; a folder whose
marker is locked belongs to a live process and is left alone. The marker is locked before it gets its
name (locks belong to the file, not the name), so no sweeper ever sees an unlocked live marker.

A folder without a marker is never deleted: a restore removes its marker just before the swap, so
such a folder may hold the previous output root (a restore killed between the exchange and the rename
to the safety copy). The sweep reports it with the command to remove it after a look.
"""

from __future__ import annotations

import ctypes
import errno
import os
import shlex
import shutil
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

try:
    import fcntl
except ImportError:  # not POSIX: claims are not locked, so nothing is swept (only reported)
    fcntl = None  # type: ignore[assignment]

MARKER = ".codi-claim"
RENAME_NOREPLACE, RENAME_EXCHANGE = 1, 2
_AT_FDCWD = -100


class Claim:
    """The locked marker inside a working folder; ``release`` unlocks and removes it."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        tmp = folder / f"{MARKER}.{os.getpid()}"
        self._handle: IO[str] | None = open(tmp, "w", encoding="utf-8")  # noqa: SIM115 (held until release)
        if fcntl is not None:
            fcntl.flock(self._handle.fileno(), fcntl.LOCK_EX)
        self._handle.write(f"{os.getpid()}\n")
        self._handle.flush()
        os.rename(tmp, folder / MARKER)

    def release(self) -> None:
        """Remove the marker (the folder is then never swept) and drop the lock."""
        if self._handle is None:
            return
        (self.folder / MARKER).unlink(missing_ok=True)
        self._handle.close()
        self._handle = None


def claim(folder: Path) -> Claim:
    return Claim(folder)


def _stale(folder: Path) -> bool | None:
    """True: claimed by a dead process; False: in use; None: no marker (never deleted)."""
    marker = folder / MARKER
    try:
        handle = open(marker, encoding="utf-8")  # noqa: SIM115
    except FileNotFoundError:
        return None
    except OSError:
        return False
    with handle:
        if fcntl is None:
            return False
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return False
        return True  # the lock is ours until the handle closes; the folder is gone before that


@dataclass(slots=True)
class Sweep:
    removed: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def sweep(folders: Iterable[Path], what: str, may_hold_data: bool = False) -> Sweep:
    """Delete the stale claimed ``folders``; a note (with the command) for each unclaimed one."""
    result = Sweep()
    for folder in folders:
        if not folder.is_dir() or folder.is_symlink():
            continue
        state = _stale(folder)
        if state:
            shutil.rmtree(folder, ignore_errors=True)
            result.removed.append(folder)
        elif state is None:
            hint = " and may hold the previous content; look inside, then" if may_hold_data else ";"
            result.notes.append(f"{folder} is left from an interrupted {what}{hint} remove it with: "
                                f"rm -rf -- {shlex.quote(str(folder))}")
    return result


def renameat2(src: Path, dst: Path, flags: int) -> int | None:
    """Linux's renameat2 (``RENAME_NOREPLACE`` or ``RENAME_EXCHANGE``): 0 when done, else the errno; None
    where the system has no renameat2."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        fn = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return None
    return 0 if fn(_AT_FDCWD, os.fsencode(src), _AT_FDCWD, os.fsencode(dst), flags) == 0 else ctypes.get_errno()


def _renameat2_noreplace(src: Path, dst: Path) -> bool:
    """Linux's atomic no-replace rename; False where the system or file system cannot do it."""
    code = renameat2(src, dst, RENAME_NOREPLACE)
    if code == 0:
        return True
    if code is None or code in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
        return False
    if code == errno.EEXIST:
        raise FileExistsError(code, os.strerror(code), str(dst))
    raise OSError(code, os.strerror(code), str(src))


def rename_noreplace(src: Path, dst: Path) -> None:
    """Rename ``src`` to ``dst``; FileExistsError when ``dst`` exists (never replaces, never merges)."""
    if _renameat2_noreplace(src, dst):
        return
    if os.path.lexists(dst):  # the file system cannot say it atomically: check, then rename
        raise FileExistsError(errno.EEXIST, os.strerror(errno.EEXIST), str(dst))
    os.rename(src, dst)


def numbered(path: Path, limit: int = 10_000) -> Iterable[Path]:
    """``path``, then ``path-2``, ``path-3``... (the number goes before a ``.tar.gz`` ending)."""
    ext = ".tar.gz" if path.name.endswith(".tar.gz") else ""
    stem = path.name[: len(path.name) - len(ext)]
    yield path
    for n in range(2, limit):
        yield path.with_name(f"{stem}-{n}{ext}")


def move_to_free_name(src: Path, dst: Path) -> Path:
    """Rename ``src`` to ``dst`` or the first free numbered variant of it; the name it got."""
    for candidate in numbered(dst):
        try:
            rename_noreplace(src, candidate)
        except FileExistsError:
            continue
        return candidate
    raise FileExistsError(errno.EEXIST, "no free name", str(dst))
