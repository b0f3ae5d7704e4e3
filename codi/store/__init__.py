"""Object stores: a local folder or an S3-compatible bucket, behind one small ``Store`` protocol.

Used by ``codi scan`` (a scan's artefacts: content results, run dirs, reports) and by the shared
ShellCheck cache (``CODI_CACHE_URL``), so neither depends on the other. Keys are ``/``-separated
relative names; every write is an upsert of the whole object (temp file + rename), so a reader
never sees half an object, unless it is write-once (``once=True``), where the first one stands.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol
from urllib.parse import urlparse

from codi.atomic import atomic_write_bytes


class StoreError(Exception):
    """A store URL CODI cannot use."""


class Store(Protocol):
    url: str

    def put(self, key: str, data: bytes, *, once: bool = False) -> None:
        """Write the object; with ``once`` an existing object stands (keys named by their content)."""
        ...

    def get(self, key: str) -> bytes | None: ...

    def exists(self, key: str) -> bool: ...

    def locate(self, key: str) -> str:
        """Where a reader finds the object (a path or a URL)."""
        ...


class LocalStore:
    """A folder on this machine (or a shared mount)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.url = root.resolve().as_uri()

    def _path(self, key: str) -> Path:
        parts = [p for p in key.split("/") if p]
        if not parts or any(p in (".", "..") for p in parts):
            raise StoreError(f"bad store key {key!r}")
        return self.root.joinpath(*parts)

    def put(self, key: str, data: bytes, *, once: bool = False) -> None:
        path = self._path(key)
        if once and path.is_file():
            return  # a racing writer of the same key writes the same bytes: either rename may win
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(path, data)

    def get(self, key: str) -> bytes | None:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            return None

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def locate(self, key: str) -> str:
        return str(self._path(key))


def open_store(url: str | None, default: Path, *, name: str = "--store", quick: bool = False) -> Store:
    """``None`` -> the default folder; a path or ``file://`` URL -> a LocalStore; ``s3://bucket/prefix``
    -> an S3-compatible store (the ``codi[s3]`` extra, codi.store.s3). ``name`` is the setting named in
    errors; ``quick`` gives up on an unreachable server in seconds (for a cache, a miss beats a wait)."""
    if not url:
        return LocalStore(default)
    parsed = urlparse(url)
    if parsed.scheme in ("", "file"):
        return LocalStore(Path(parsed.path if parsed.scheme else url).expanduser())
    if parsed.scheme == "s3":
        from codi.store.s3 import S3Store

        return S3Store(url, name=name, quick=quick)
    raise StoreError(f"{name} {url}: unsupported scheme {parsed.scheme!r} (this CODI has: a folder, file://, s3://)")
