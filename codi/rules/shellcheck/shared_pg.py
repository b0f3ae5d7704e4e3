"""The shared ShellCheck cache in Postgres (``CODI_CACHE_URL=postgresql://...``, the ``codi[postgres]``
extra): one table of key -> comments. Every error is swallowed (codi.rules.shellcheck.shared)."""

from __future__ import annotations

import importlib.util
import logging
import threading
import time
from collections.abc import Mapping
from typing import Any

from codi.pgschema import pg_connect
from codi.rules.shellcheck.shared_protocol import ENV, RETRY_AFTER_S, Comments, decode, encode

log = logging.getLogger("codi.rules.shellcheck")

TABLE = "shellcheck_results"


class PgCache:
    """One connection per process and URL, used under a lock."""

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
        if importlib.util.find_spec("psycopg") is None:
            log.warning("%s is set but psycopg is not installed (pip install 'codi[postgres]'): no shared cache", ENV)
            self._down_until = float("inf")
            return None
        try:
            conn = pg_connect(self.url, "codi-shellcheck-cache")
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
            comments = decode(text)
            if comments is not None:
                found[str(key)] = comments
        return found

    def put_many(self, items: Mapping[str, Comments]) -> None:
        rows = [(key, encode(value)) for key, value in items.items()]
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
