"""The shared ShellCheck cache in an object store: ``CODI_CACHE_URL=s3://bucket/prefix`` (the
``codi[s3]`` extra), ``file:///path`` or an absolute folder path (a shared mount).

One object per key, ``<prefix>/shellcheck/<key[:2]>/<key>.json`` (the comments as JSON), written
once: the key names its content, so a concurrent writer of the same key changes nothing. The
store is codi.store, the one ``codi scan --store`` uses. Every error is swallowed
(codi.rules.shellcheck.shared): a missing object is a miss, an unreachable store is not asked
again for ``RETRY_AFTER_S``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

from codi.rules.shellcheck.shared_protocol import ENV, RETRY_AFTER_S, Comments, decode, encode
from codi.store import LocalStore, Store, StoreError, open_store

log = logging.getLogger("codi.rules.shellcheck")

FOLDER = "shellcheck"
WORKERS = 8  # requests in flight to a remote store: a lint batch can miss hundreds of scripts

T = TypeVar("T")
R = TypeVar("R")


def object_key(key: str) -> str:
    return f"{FOLDER}/{key[:2]}/{key}.json"


class StoreCache:
    """The store is opened on first use; one per process and URL."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._store: Store | None = None
        self._down_until = 0.0
        self._lock = threading.Lock()

    def _open(self) -> Store | None:
        with self._lock:
            if time.monotonic() < self._down_until:
                return None
            if self._store is None:
                try:
                    self._store = open_store(self.url, Path("."), name=ENV, quick=True)
                except StoreError as exc:  # obstore missing, a malformed URL: it will not get better
                    log.warning("%s; no shared cache", exc)
                    self._down_until = float("inf")
                except Exception as exc:
                    log.debug("shared shellcheck cache unusable (%s)", exc)
                    self._down_until = time.monotonic() + RETRY_AFTER_S
            return self._store

    def _down(self) -> bool:
        return time.monotonic() < self._down_until

    def _failed(self, what: str, exc: Exception) -> None:
        with self._lock:
            if not self._down():  # the first failure of a batch says it; the others are skipped
                log.debug("shared shellcheck cache %s failed (%s)", what, exc)
                self._down_until = time.monotonic() + RETRY_AFTER_S

    def _each(self, store: Store, fn: Callable[[T], R], items: Sequence[T]) -> list[R]:
        # A remote store answers in milliseconds per object: several at once. A folder answers in
        # microseconds: one at a time, no threads to start.
        if len(items) <= 1 or isinstance(store, LocalStore):
            return [fn(item) for item in items]
        with ThreadPoolExecutor(min(WORKERS, len(items)), thread_name_prefix="codi-sc-shared") as pool:
            return list(pool.map(fn, items))

    def get_many(self, keys: list[str]) -> dict[str, Comments]:
        store = self._open() if keys else None
        if store is None:
            return {}

        def read(key: str) -> Comments | None:
            if self._down():
                return None
            try:
                data = store.get(object_key(key))
            except Exception as exc:  # obstore's errors, OSError: a miss
                self._failed("read", exc)
                return None
            return None if data is None else decode(data)

        found = self._each(store, read, keys)
        return {key: comments for key, comments in zip(keys, found, strict=True) if comments is not None}

    def put_many(self, items: Mapping[str, Comments]) -> None:
        store = self._open() if items else None
        if store is None:
            return

        def write(item: tuple[str, Comments]) -> None:
            if self._down():
                return
            try:
                store.put(object_key(item[0]), encode(item[1]).encode("utf-8"), once=True)
            except Exception as exc:
                self._failed("write", exc)

        self._each(store, write, list(items.items()))
