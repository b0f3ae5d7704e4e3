"""The run memory's SQLite back-end: ``<out>/_rag/index.sqlite3`` (FTS5, BM25), with versioned migrations.

Several CODI processes may write at once: WAL journal, a busy timeout, and ``BEGIN IMMEDIATE``
for every write so writers queue instead of failing. ``CODI_DB_URL`` moves the memory to Postgres
(codi.rag.pg_store); both offer codi.rag.index.MemoryIndex.
"""

from __future__ import annotations

import functools
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, ParamSpec, TypeVar

from codi.rag.index_protocol import MemoryIndex, Row, RunMemoryError
from codi.sqlitedb import open_sqlite

if TYPE_CHECKING:
    from codi.rag.memory import RunDoc


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
    conn = open_sqlite(path)
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
            raise RunMemoryError(f"index schema v{current} is newer than this CODI (v{SCHEMA_VERSION})")
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


P = ParamSpec("P")
T = TypeVar("T")


def _db(method: Callable[P, T]) -> Callable[P, T]:
    """sqlite3's errors as RunMemoryError: callers catch one error for either back-end."""

    @functools.wraps(method)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return method(*args, **kwargs)
        except sqlite3.Error as exc:
            raise RunMemoryError(" ".join(str(exc).split()) or type(exc).__name__) from exc

    return wrapper


class SQLiteIndex(MemoryIndex):
    """One connection to an index file (``owned=False``: the caller closes it)."""

    SCHEMA_VERSION = SCHEMA_VERSION

    def __init__(self, conn: sqlite3.Connection, location: str, owned: bool = True) -> None:
        conn.row_factory = sqlite3.Row
        self.conn = conn
        self.location = location
        self.owned = owned

    def close(self) -> None:
        if self.owned:
            self.conn.close()

    @_db
    def schema_version(self) -> int:
        return schema_version(self.conn)

    @_db
    def ensure_schema(self) -> list[int]:
        return ensure_schema(self.conn)

    @_db
    def put(self, doc: RunDoc) -> None:
        run, text = doc.run_columns(), doc.text_columns()
        with write(self.conn) as conn:
            conn.execute("DELETE FROM runs_fts WHERE run_id = ?", (doc.run_id,))
            conn.execute("DELETE FROM outcomes WHERE run_id = ?", (doc.run_id,))
            conn.execute(f"INSERT OR REPLACE INTO runs ({', '.join(run)}) VALUES ({', '.join('?' * len(run))})",
                         tuple(run.values()))
            conn.executemany("INSERT INTO outcomes (run_id, candidate_id, rule_id, kind, number_kind, size_delta_pct, "
                             "layers_delta, verified, applied, text_hash, applied_at, applied_how) "
                             "VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                             [(doc.run_id, o.candidate_id, o.rule_id, o.kind, o.number_kind, o.size_delta_pct,
                               o.layers_delta, int(o.verified), int(o.applied), o.text_hash, o.applied_at,
                               o.applied_how) for o in doc.outcomes])
            conn.execute(f"INSERT INTO runs_fts (run_id, {', '.join(text)}) VALUES (?, {', '.join('?' * len(text))})",
                         (doc.run_id, *text.values()))

    @_db
    def clear(self) -> None:
        with write(self.conn) as conn:
            for table in ("runs_fts", "outcomes", "runs"):
                conn.execute(f"DELETE FROM {table}")

    @_db
    def delete_runs(self, run_ids: Sequence[str]) -> int:
        marks = ",".join("?" * len(run_ids))
        deleted = 0
        with write(self.conn) as conn:
            for table in ("runs_fts", "outcomes", "runs"):
                deleted += conn.execute(f"DELETE FROM {table} WHERE run_id IN ({marks})", list(run_ids)).rowcount
        return deleted

    @_db
    def search_rows(self, terms: Sequence[str], exclude: str, limit: int) -> list[Row]:
        match = " OR ".join('"' + t.replace('"', '""') + '"' for t in terms)
        rows = self.conn.execute(
            "SELECT f.run_id, -bm25(runs_fts) AS relevance, r.stack, r.findings, r.base_images, r.summary "
            "FROM runs_fts f JOIN runs r ON r.run_id = f.run_id WHERE runs_fts MATCH ? AND f.run_id != ? "
            "ORDER BY relevance DESC LIMIT ?", (match, exclude, limit))
        return [dict(r) for r in rows]

    @_db
    def outcomes(self, run_id: str) -> list[Row]:
        rows = self.conn.execute("SELECT candidate_id, rule_id, size_delta_pct, verified, applied FROM outcomes "
                                 "WHERE run_id = ? ORDER BY candidate_id", (run_id,))
        return [{**dict(r), "verified": bool(r["verified"]), "applied": bool(r["applied"])} for r in rows]

    @_db
    def run(self, run_id: str) -> Row | None:
        row = self.conn.execute("SELECT run_dir, project_path, created_at FROM runs WHERE run_id = ?",
                                (run_id,)).fetchone()
        return None if row is None else dict(row)

    @_db
    def offers(self, text_hash: str, project_path: str, exclude: str) -> list[Row]:
        rows = self.conn.execute(
            "SELECT o.run_id, o.candidate_id, o.applied FROM outcomes o JOIN runs r ON r.run_id = o.run_id "
            "WHERE o.text_hash = ? AND r.project_path = ? AND o.run_id != ? "
            "ORDER BY r.created_at DESC, o.run_id DESC", (text_hash, project_path, exclude))
        return [{**dict(r), "applied": bool(r["applied"])} for r in rows]

    @_db
    def dockerfile(self, run_id: str) -> str | None:
        row = self.conn.execute("SELECT dockerfile FROM runs_fts WHERE run_id = ?", (run_id,)).fetchone()
        return None if row is None else str(row["dockerfile"])

    @_db
    def set_applied(self, run_id: str, candidate_id: str, applied_at: str, how: str) -> None:
        with write(self.conn) as conn:
            conn.execute("UPDATE outcomes SET applied = 1, applied_at = ?, applied_how = ? "
                         "WHERE run_id = ? AND candidate_id = ?", (applied_at, how, run_id, candidate_id))

    @_db
    def run_ids(self) -> set[str]:
        return {str(r[0]) for r in self.conn.execute("SELECT run_id FROM runs")}

    @_db
    def count_runs(self) -> int:
        return int(self.conn.execute("SELECT COUNT(*) FROM runs").fetchone()[0])
