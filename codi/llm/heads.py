"""Read prompt heads kept on disk: the model's state after reading a prompt's fixed start.

CODI's two prompts start with a system message the model reads again in every run (~0.2 s of the
~2 s a run spends in the model on 2 cores). The state after reading it depends only on the model file,
the adapter, llama.cpp and the tokens, so it is kept in CODI's cache folder (``codi.cachehome``),
keyed by all of them, and a later run loads it in milliseconds instead. A file that is not a regular
file, is too large or whose checksum does not match is ignored (the head is read again);
``CODI_NO_CACHE=1`` turns the store off.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Sequence
from pathlib import Path

from codi import safefs
from codi.atomic import atomic_write_bytes
from codi.cachehome import cache_allowed, cache_dir

FORMAT = b"codi-llm-head-1\n"  # part of every key and file: bump it when what is stored changes
MAX_BYTES = 16 * 1024 * 1024  # a head of CODI's prompts is under 1 MB
KEEP = 16  # files kept; the oldest go first (another model or adapter leaves stale ones)
_DIGEST = 64


def folder() -> Path:
    return cache_dir() / "llm-heads"


def identity(files: Sequence[Path], runtime: str) -> str:
    """What a head's state depends on besides its tokens: each file's path, size and modification time
    (hashing a 90 MB model on every run would cost more than reading the head), and the runtime
    (llama.cpp's version and the CPU features it uses)."""
    parts = [runtime]
    for path in files:
        info = path.stat()
        parts.append(f"{path.resolve()}:{info.st_size}:{info.st_mtime_ns}")
    return "\n".join(parts)


def key(ident: str, tokens: Sequence[int], n_ctx: int) -> str:
    text = f"{ident}\nctx={n_ctx}\n" + ",".join(str(t) for t in tokens)
    return hashlib.sha256(FORMAT + text.encode("utf-8")).hexdigest()


def load(name: str) -> bytes | None:
    """The stored state named ``name``, or None (absent, off, not a regular file in the folder, too large,
    damaged)."""
    if not cache_allowed():
        return None
    where = folder()
    try:
        blob = safefs.read_bytes(where / f"{name}.bin", where, MAX_BYTES)
    except OSError:  # safefs.UnsafeFile included
        return None
    head = len(FORMAT) + _DIGEST + 1
    if len(blob) <= head or not blob.startswith(FORMAT):
        return None
    digest, data = blob[len(FORMAT):head - 1], blob[head:]
    return data if hashlib.sha256(data).hexdigest().encode("ascii") == digest else None


def store(name: str, data: bytes) -> None:
    """Keep ``data`` as ``name`` (atomically); a cache that cannot be written is only slower."""
    if not cache_allowed() or len(data) > MAX_BYTES:
        return
    where = folder()
    try:
        where.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(where / f"{name}.bin", FORMAT + hashlib.sha256(data).hexdigest().encode("ascii")
                           + b"\n" + data)
        _prune(where)
    except OSError:
        return


def _prune(where: Path) -> None:
    def age(path: Path) -> int:
        try:
            return path.lstat().st_mtime_ns
        except OSError:  # gone already (another run pruned it)
            return 0

    files = sorted((p for p in where.glob("*.bin") if p.is_file() and not p.is_symlink()), key=age, reverse=True)
    for stale in files[KEEP:]:
        with contextlib.suppress(OSError):
            stale.unlink()
