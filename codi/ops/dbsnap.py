"""SQLite snapshots for backups: the online backup API (never a copy of a live file), row counts, integrity."""

from __future__ import annotations

import sqlite3
from pathlib import Path

BUSY_TIMEOUT_S = 10.0


def snapshot(src: Path, dest: Path) -> None:
    """Copy a live database page by page with SQLite's backup API into ``dest``, a self-contained file.

    Readers and writers of ``src`` may carry on meanwhile (WAL or not); the copy is one consistent
    point in time. The copy is switched to the rollback journal so that it is a single file.
    """
    source = sqlite3.connect(f"file:{src}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_S)
    try:
        target = sqlite3.connect(dest, isolation_level=None)
        try:
            source.backup(target)
            target.execute("PRAGMA journal_mode = DELETE")
        finally:
            target.close()
    finally:
        source.close()


def _open_ro(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_S)


def table_counts(path: Path) -> dict[str, int]:
    """Rows per table (virtual tables included, SQLite's own tables left out), by name."""
    conn = _open_ro(path)
    try:
        names = [r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]
        counts: dict[str, int] = {}
        for name in names:
            quoted = '"' + name.replace('"', '""') + '"'
            try:
                counts[name] = int(conn.execute(f"SELECT count(*) FROM {quoted}").fetchone()[0])
            except sqlite3.OperationalError:  # a virtual table whose module this SQLite lacks
                continue
        return counts
    finally:
        conn.close()


def user_version(path: Path) -> int:
    conn = _open_ro(path)
    try:
        return int(conn.execute("PRAGMA user_version").fetchone()[0])
    finally:
        conn.close()


def integrity(path: Path) -> str:
    """``"ok"`` or SQLite's first complaint (``PRAGMA integrity_check``); a file that is no database says so."""
    try:
        conn = _open_ro(path)
        try:
            row = conn.execute("PRAGMA integrity_check").fetchone()
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        return f"not a usable SQLite database: {exc}"
    return str(row[0]) if row else "no answer from integrity_check"
