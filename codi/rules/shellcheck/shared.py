"""The shared level of the ShellCheck result cache: one Postgres table for a fleet's CI runners.

``CODI_CACHE_URL=postgresql://...`` (the ``codi[postgres]`` extra) adds it after the local levels:
a script the local cache misses is looked up here, and a hit is copied to the local cache, so a
runner's first lint is warm whenever any runner has seen the script. Fresh results are written
here too. The keys are the local cache's (FORMAT, ShellCheck's version, options, dialect,
script). Like the local levels it never fails a lint: an unreachable database is a miss, and it
is not asked again for ``RETRY_AFTER_S``.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Mapping
from typing import Any

log = logging.getLogger("codi.rules.shellcheck")

Comments = list[dict[str, Any]]

ENV = "CODI_CACHE_URL"
TABLE = "shellcheck_results"
CONNECT_TIMEOUT_S = 3
RETRY_AFTER_S = 60.0


class SharedCache:
    """One connection per process and URL, used under a lock; every error is swallowed."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._conn: Any = None
        self._down_until = 0.0
        self._lock = threading.Lock()

    def _connect(self) -> Any:
        if self._conn is not None and not self._conn.closed:
            return self._conn
        if time.monotonic() < self._down_until:
            return None
        try:
            import psycopg
        except ImportError:
            log.warning("%s is set but psycopg is not installed (pip install 'codi[postgres]'): no shared cache", ENV)
            self._down_until = float("inf")
            return None
        try:
            conn = psycopg.connect(self.url, autocommit=True, connect_timeout=CONNECT_TIMEOUT_S,
                                   application_name="codi-shellcheck-cache")
            conn.execute(f"CREATE TABLE IF NOT EXISTS {TABLE} (key TEXT PRIMARY KEY, comments TEXT NOT NULL,"
                         " created_at TIMESTAMPTZ NOT NULL DEFAULT now())")
        except Exception as exc:  # psycopg.Error, a bad URL: a slower run, never a failed one
            log.debug("shared shellcheck cache unusable (%s)", exc)
            self._down_until = time.monotonic() + RETRY_AFTER_S
            return None
        self._conn = conn
        return conn

    def _failed(self, what: str, exc: Exception) -> None:
        log.debug("shared shellcheck cache %s failed (%s)", what, exc)
        if self._conn is not None:
            self._conn.close()
        self._conn = None
        self._down_until = time.monotonic() + RETRY_AFTER_S

    def get_many(self, keys: list[str]) -> dict[str, Comments]:
        found: dict[str, Comments] = {}
        with self._lock:
            conn = self._connect() if keys else None
            if conn is None:
                return found
            try:
                rows = conn.execute(f"SELECT key, comments FROM {TABLE} WHERE key = ANY(%s)", (keys,)).fetchall()
            except Exception as exc:
                self._failed("read", exc)
                return found
        for key, text in rows:
            try:
                comments = json.loads(text)
            except (TypeError, ValueError):
                continue
            if isinstance(comments, list) and all(isinstance(c, dict) for c in comments):
                found[str(key)] = comments
        return found

    def put_many(self, items: Mapping[str, Comments]) -> None:
        rows = [(key, json.dumps(value, separators=(",", ":"))) for key, value in items.items()]
        with self._lock:
            conn = self._connect() if rows else None
            if conn is None:
                return
            try:
                with conn.cursor() as cur:
                    cur.executemany(f"INSERT INTO {TABLE} (key, comments) VALUES (%s, %s)"
                                    " ON CONFLICT (key) DO NOTHING", rows)
            except Exception as exc:
                self._failed("write", exc)


_SHARED: dict[str, SharedCache] = {}
_SHARED_LOCK = threading.Lock()


def shared_cache(env: Mapping[str, str] | None = None) -> SharedCache | None:
    """The shared level named by ``$CODI_CACHE_URL`` (postgresql:// or postgres://), or None."""
    env = os.environ if env is None else env
    url = env.get(ENV, "").strip()
    if not url:
        return None
    if not url.startswith(("postgresql://", "postgres://")):
        log.warning("%s: only postgresql:// URLs are supported; no shared cache", ENV)
        return None
    with _SHARED_LOCK:
        if url not in _SHARED:
            _SHARED[url] = SharedCache(url)
        return _SHARED[url]
