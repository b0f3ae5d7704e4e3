"""The one way CODI opens its SQLite files (run memory, scan database, API jobs): WAL and a busy timeout.

WAL lets readers work while one writer writes; the busy timeout makes a second writer wait instead of
failing with "database is locked". Autocommit (``isolation_level=None``): callers open their own
transactions where they need one.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

BUSY_TIMEOUT_MS = 10_000


def open_sqlite(path: str | Path, *, rows: bool = True, wal: bool = True) -> sqlite3.Connection:
    """A connection to ``path`` (its folder created); ``rows``: rows as sqlite3.Row."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
    if rows:
        conn.row_factory = sqlite3.Row
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    if wal:
        conn.execute("PRAGMA journal_mode = WAL")
    return conn
