"""The run memory: ``<out>/_rag/index.sqlite3`` (SQLite FTS5, BM25), with versioned migrations.

Several CODI processes may write at once: WAL journal, a busy timeout, and ``BEGIN IMMEDIATE``
for every write so writers queue instead of failing.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

BUSY_TIMEOUT_MS = 10_000

# Each entry upgrades the schema by one version (PRAGMA user_version). Never edit a shipped entry.
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (  # 1: runs, candidate outcomes, full-text index
        """CREATE TABLE runs (
            run_id TEXT PRIMARY KEY, created_at TEXT, project_name TEXT, stack TEXT NOT NULL,
            base_images TEXT NOT NULL DEFAULT '', findings TEXT NOT NULL DEFAULT '',
            summary TEXT NOT NULL DEFAULT '', run_dir TEXT, indexed_at TEXT)""",
        """CREATE TABLE outcomes (
            run_id TEXT NOT NULL REFERENCES runs(run_id) ON DELETE CASCADE, candidate_id TEXT NOT NULL,
            rule_id TEXT NOT NULL, kind TEXT, number_kind TEXT, size_delta_pct REAL, layers_delta INTEGER,
            verified INTEGER NOT NULL DEFAULT 0, applied INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (run_id, candidate_id))""",
        """CREATE VIRTUAL TABLE runs_fts USING fts5(
            run_id UNINDEXED, stack, base_images, findings, dockerfile, candidates, evidence,
            tokenize = "unicode61 tokenchars '-_.:/'")""",
    ),
    (  # 2: look-ups by stack and by rule
        "CREATE INDEX runs_stack ON runs(stack)",
        "CREATE INDEX outcomes_rule ON outcomes(rule_id)",
    ),
    (  # 3: which project a run was of, and each candidate's text (to see when a user applied it)
        "ALTER TABLE runs ADD COLUMN project_path TEXT",
        "ALTER TABLE outcomes ADD COLUMN text_hash TEXT",
        "ALTER TABLE outcomes ADD COLUMN applied_at TEXT",
        "ALTER TABLE outcomes ADD COLUMN applied_how TEXT",
        "CREATE INDEX outcomes_text ON outcomes(text_hash)",
    ),
)
SCHEMA_VERSION = len(MIGRATIONS)


def index_path(out: str | Path) -> Path:
    return Path(out) / "_rag" / "index.sqlite3"


def connect(path: str | Path) -> sqlite3.Connection:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
    conn.row_factory = sqlite3.Row
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA foreign_keys = ON")
    return conn


@contextmanager
def write(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One write transaction, taken up front so concurrent writers wait (busy timeout) for it."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def schema_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def ensure_schema(conn: sqlite3.Connection) -> list[int]:
    """Apply the migrations this index lacks (idempotent); return the versions applied."""
    applied: list[int] = []
    with write(conn):
        current = schema_version(conn)
        if current > SCHEMA_VERSION:
            raise RuntimeError(f"index schema v{current} is newer than this CODI (v{SCHEMA_VERSION})")
        for version in range(current + 1, SCHEMA_VERSION + 1):
            for statement in MIGRATIONS[version - 1]:
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {version}")
            applied.append(version)
    return applied


def open_index(out: str | Path) -> sqlite3.Connection:
    conn = connect(index_path(out))
    ensure_schema(conn)
    return conn


def fts5_available() -> bool:
    try:
        sqlite3.connect(":memory:").execute("CREATE VIRTUAL TABLE t USING fts5(x)")
    except sqlite3.OperationalError:
        return False
    return True
