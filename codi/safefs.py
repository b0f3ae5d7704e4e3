"""Reading a file CODI found (or was given) in a project without trusting it.

One place for the rules of DESIGN.md §2 "hostile input": a found file is resolved and must stay inside
its project (a link that leaves it is refused), it is opened without following a last-moment link swap
(``O_NOFOLLOW``) and without blocking (``O_NONBLOCK``: a FIFO never hangs us), it must be a regular file
(``S_ISREG``: never a device, FIFO or socket), and at most ``limit`` bytes are read. Every refusal is an
``UnsafeFile``, an ``OSError`` whose ``strerror`` is one line a user can act on, so callers that already
say "cannot read: <strerror>" (or skip an unreadable manifest) keep doing so.
"""

from __future__ import annotations

import errno
import os
import re
import stat
from collections.abc import Mapping
from pathlib import Path

DEFAULT_MAX_BYTES = 4 * 1024 * 1024  # a Dockerfile or manifest is kilobytes; 4 MiB leaves room for lockfiles
ENV_MAX_SIZE = "CODI_MAX_FILE_SIZE"
_SIZE = re.compile(r"\s*(\d+)\s*([kmg]?)(i?b)?\s*", re.IGNORECASE)
_UNITS = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3}
_KINDS = ((stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"), (stat.S_ISDIR, "a folder"))
_OPEN_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY | getattr(os, "O_CLOEXEC", 0)


class UnsafeFile(OSError):
    """A file CODI will not read: outside its project, not a regular file, too large, a symlink loop."""

    def __init__(self, path: str | os.PathLike[str], reason: str, code: int = errno.EINVAL) -> None:
        super().__init__(code, reason, str(path))

    def __str__(self) -> str:
        return f"{self.filename}: {self.strerror}"


def parse_size(text: str | int) -> int:
    """Bytes from ``4194304``, ``4M``, ``4MB``, ``4MiB``, ``512k`` (binary units); ValueError otherwise."""
    if isinstance(text, int) and not isinstance(text, bool):
        value = text
    else:
        match = _SIZE.fullmatch(str(text))
        if match is None:
            raise ValueError(f"not a size: {text!r} (use bytes or a number with k, M or G, e.g. 4M)")
        value = int(match.group(1)) * _UNITS[match.group(2).lower()]
    if value <= 0:
        raise ValueError(f"not a size: {text!r} (must be more than 0)")
    return value


def max_file_bytes(env: Mapping[str, str] | None = None) -> int:
    """The size cap from ``CODI_MAX_FILE_SIZE`` (an unreadable value is a ValueError), else the default."""
    raw = (os.environ if env is None else env).get(ENV_MAX_SIZE, "").strip()
    if not raw:
        return DEFAULT_MAX_BYTES
    try:
        return parse_size(raw)
    except ValueError as exc:
        raise ValueError(f"environment variable {ENV_MAX_SIZE}: {exc}") from None


def human_size(value: int) -> str:
    for unit, factor in (("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if value >= factor and value % factor == 0:
            return f"{value // factor} {unit}"
    return f"{value} bytes"


def _inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def resolve_inside(path: str | os.PathLike[str], root: str | os.PathLike[str] | None) -> str:
    """``path`` with every link resolved; UnsafeFile when it does not exist, loops or leaves ``root``."""
    try:
        real = os.path.realpath(path, strict=True)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise UnsafeFile(path, "symlink loop", errno.ELOOP) from None
        raise
    except RuntimeError:  # pathlib on Python < 3.13 reports a loop this way
        raise UnsafeFile(path, "symlink loop", errno.ELOOP) from None
    if root is not None and not _inside(real, os.path.realpath(root)):
        named = os.path.normpath(os.path.abspath(path))
        what = "lies" if not _inside(named, os.path.abspath(root)) else "is a link to a file"
        raise UnsafeFile(path, f"{what} outside the project folder (refused)", errno.EACCES)
    return real


def _kind(mode: int) -> str:
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


def read_bytes(path: str | os.PathLike[str], root: str | os.PathLike[str] | None = None,
               limit: int | None = None) -> bytes:
    """The bytes of the regular file ``path`` (confined to ``root`` when given), at most ``limit``
    (default: ``max_file_bytes()``). Raises UnsafeFile for what must not be read, OSError otherwise."""
    cap = max_file_bytes() if limit is None else limit
    real = resolve_inside(path, root)
    try:
        fd = os.open(real, _OPEN_FLAGS)
    except OSError as exc:
        if exc.errno == errno.ELOOP:  # the last part became a link after we resolved it
            raise UnsafeFile(path, "changed into a link while being opened (refused)", errno.ELOOP) from None
        if exc.errno == errno.ENXIO:  # a socket
            raise UnsafeFile(path, "is a socket, not a regular file") from None
        raise
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise UnsafeFile(path, f"is {_kind(info.st_mode)}, not a regular file")
        if root is not None:
            _check_opened(fd, path, root)
        if info.st_size > cap:
            raise too_large(path, cap)
        chunks: list[bytes] = []
        size = 0
        while size <= cap:  # /proc files say size 0; a growing file may pass fstat: read at most cap + 1
            chunk = os.read(fd, min(1024 * 1024, cap + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > cap:
            raise too_large(path, cap)
        return b"".join(chunks)
    finally:
        os.close(fd)


def _check_opened(fd: int, path: str | os.PathLike[str], root: str | os.PathLike[str]) -> None:
    """What was opened is still inside ``root`` (a folder on the way may have been swapped for a link)."""
    try:
        opened = os.readlink(f"/proc/self/fd/{fd}")
    except OSError:
        return  # no /proc: the resolve-then-O_NOFOLLOW check above is what we have
    if opened.startswith("/") and not _inside(opened, os.path.realpath(root)):
        raise UnsafeFile(path, "is a link to a file outside the project folder (refused)", errno.EACCES)


def too_large(path: str | os.PathLike[str], cap: int) -> UnsafeFile:
    return UnsafeFile(path, f"larger than the input size limit of {human_size(cap)} (set {ENV_MAX_SIZE} or "
                            "--max-file-size to raise it)", errno.EFBIG)


def read_text(path: str | os.PathLike[str], root: str | os.PathLike[str] | None = None,
              limit: int | None = None, errors: str = "surrogateescape") -> str:
    """``read_bytes`` decoded as UTF-8: undecodable bytes kept (``surrogateescape``, the default, as
    Dockerfiles are kept byte for byte), replaced, or, with ``errors="strict"``, an UnsafeFile."""
    data = read_bytes(path, root, limit)
    try:
        return data.decode("utf-8", errors)
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise UnsafeFile(path, f"line {line}: not UTF-8 text") from None


def found_file(path: Path) -> bool:
    """Whether ``path`` names something to pick up as a found file: it exists as a name (a link counts, even
    one that points nowhere, so that reading it reports why) and is not a folder."""
    return os.path.lexists(path) and not path.is_dir()

