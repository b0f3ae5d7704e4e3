"""The object store in a folder: keys are relative paths, writes are atomic."""

from __future__ import annotations

from pathlib import Path

from codi.atomic import atomic_write_bytes
from codi.store.protocol import StoreError


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
