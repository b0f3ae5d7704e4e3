"""The object store's interface (``Store``) and its one error: what the folder store (codi.store.local) and
the S3 one (codi.store.s3) implement; codi.store.open_store picks one."""

from __future__ import annotations

from typing import Protocol


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
