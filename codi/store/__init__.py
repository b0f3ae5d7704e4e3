"""Object stores: a local folder or an S3-compatible bucket, behind one small ``Store`` protocol.

Used by ``codi scan`` (a scan's artefacts: content results, run dirs, reports) and by the shared
ShellCheck cache (``CODI_CACHE_URL``), so neither depends on the other. Keys are ``/``-separated
relative names; every write is an upsert of the whole object (temp file + rename), so a reader
never sees half an object, unless it is write-once (``once=True``), where the first one stands.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlparse

from codi.store.local import LocalStore as LocalStore
from codi.store.protocol import Store as Store
from codi.store.protocol import StoreError as StoreError
from codi.store.s3 import S3Store


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
        return S3Store(url, name=name, quick=quick)
    raise StoreError(f"{name} {url}: unsupported scheme {parsed.scheme!r} (this CODI has: a folder, file://, s3://)")
