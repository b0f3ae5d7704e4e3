"""The scan database: the ``ResultDB`` protocol and its SQLite back-end.

Tables: ``scans`` (one row a scan), ``repo_results`` (a repository's outcome in a scan, keyed by its
normalised source),
``content_results`` (a lint result by content key, shared by every scan and repository) and
``migrations`` (the schema versions applied, as `codi index ensure-schema` keeps them). Every
write is an upsert. Only the driver writes; workers never open the database.
The Postgres back-end (codi.fleet.pg: several drivers or shards on one scan, claims with
``SELECT ... FOR UPDATE SKIP LOCKED``) implements the same protocol.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlparse

BUSY_TIMEOUT_MS = 10_000

MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        "CREATE TABLE scans (scan_id TEXT PRIMARY KEY, started_at TEXT NOT NULL, finished_at TEXT,"
        " status TEXT NOT NULL, manifest TEXT NOT NULL, shard TEXT, repos INTEGER NOT NULL DEFAULT 0,"
        " codi_version TEXT NOT NULL)",
        "CREATE TABLE content_results (key TEXT PRIMARY KEY, findings INTEGER NOT NULL, by_rule TEXT NOT NULL,"
        " stack TEXT NOT NULL, files INTEGER NOT NULL, result_uri TEXT NOT NULL, run_uri TEXT,"
        " created_at TEXT NOT NULL)",
        "CREATE TABLE repo_results (scan_id TEXT NOT NULL REFERENCES scans(scan_id), name TEXT NOT NULL,"
        " position INTEGER NOT NULL, source TEXT NOT NULL, status TEXT NOT NULL, key TEXT, findings INTEGER,"
        " error TEXT, updated_at TEXT NOT NULL, PRIMARY KEY (scan_id, name))",
        "CREATE INDEX repo_results_key ON repo_results(key)",
    ),
    # Work claims (who lints a content key in a scan); only back-ends shared by several drivers use them.
    (
        "CREATE TABLE claims (scan_id TEXT NOT NULL, key TEXT NOT NULL, worker TEXT NOT NULL,"
        " claimed_at TEXT NOT NULL, PRIMARY KEY (scan_id, key))",
    ),
    # The drivers of a scan (one per shard, or "all"): the scan's status is merged from theirs.
    (
        "CREATE TABLE scan_parts (scan_id TEXT NOT NULL REFERENCES scans(scan_id), part TEXT NOT NULL,"
        " worker TEXT NOT NULL, repos INTEGER NOT NULL, status TEXT NOT NULL, started_at TEXT NOT NULL,"
        " finished_at TEXT, PRIMARY KEY (scan_id, part))",
    ),
    # A repository's row is keyed by its normalised source, not its name: teamA/app and teamB/app are two.
    (
        "CREATE TABLE repo_results_v4 (scan_id TEXT NOT NULL REFERENCES scans(scan_id), name TEXT NOT NULL,"
        " position INTEGER NOT NULL, source TEXT NOT NULL, status TEXT NOT NULL, key TEXT, findings INTEGER,"
        " error TEXT, updated_at TEXT NOT NULL, PRIMARY KEY (scan_id, source))",
        "INSERT INTO repo_results_v4 (scan_id, name, position, source, status, key, findings, error, updated_at)"
        " SELECT scan_id, name, position, source, status, key, findings, error, updated_at FROM repo_results"
        " WHERE true ON CONFLICT DO NOTHING",
        "DROP TABLE repo_results",
        "ALTER TABLE repo_results_v4 RENAME TO repo_results",
        "CREATE INDEX repo_results_key ON repo_results(key)",
    ),
)
SCHEMA_VERSION = len(MIGRATIONS)


# What a scan's merged status is made of: parts still running, its repositories, and how many of them
# are recorded done and failed (by any part).
PART_COUNTS = (
    "SELECT (SELECT COUNT(*) FROM scan_parts WHERE scan_id = %s AND status = 'running') AS running,"
    " (SELECT repos FROM scans WHERE scan_id = %s) AS repos,"
    " (SELECT COUNT(*) FROM repo_results WHERE scan_id = %s AND status IN ('ok', 'cached')) AS done,"
    " (SELECT COUNT(*) FROM repo_results WHERE scan_id = %s AND status = 'failed') AS failed"
)


def merged_status(running: int, repos: int, done: int, failed: int) -> str:
    """``running`` while a part is; then ``complete`` when every repository is done, else ``partial``."""
    if running:
        return "running"
    return "complete" if done >= repos and not failed else "partial"


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(slots=True)
class ContentRow:
    key: str
    findings: int
    by_rule: dict[str, int]
    stack: str
    files: int
    result_uri: str
    run_uri: str | None = None


@dataclass(slots=True)
class RepoRow:
    name: str
    position: int
    source: str
    status: str  # ok | cached | failed
    key: str | None = None
    findings: int | None = None
    error: str | None = None


@dataclass(slots=True)
class ScanRow:
    scan_id: str
    started_at: str
    status: str  # running | complete | partial
    manifest: str
    shard: str | None = None
    repos: int = 0
    finished_at: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


class ResultDB(Protocol):
    url: str

    def start_scan(self, scan: ScanRow) -> None: ...

    def scan(self, scan_id: str) -> ScanRow | None: ...

    def scans(self, limit: int = 20) -> list[ScanRow]: ...

    def start_part(self, scan_id: str, part: str, worker: str, repos: int) -> None:
        """Record that ``worker`` drives ``part`` (a shard ``i/N``, or ``all``) of the scan."""
        ...

    def finish_part(self, scan_id: str, part: str, status: str) -> str:
        """Record the part's own status; set and return the scan's merged status (merged_status)."""
        ...

    def contents(self, keys: list[str]) -> dict[str, ContentRow]: ...

    def put_content(self, row: ContentRow) -> None: ...

    def put_repo(self, scan_id: str, row: RepoRow) -> None: ...

    def repos(self, scan_id: str) -> list[RepoRow]: ...

    def claim(self, scan_id: str, keys: list[str], worker: str) -> list[str]:
        """The content keys of ``keys`` that ``worker`` may lint now in this scan: none that another
        worker holds (until its claim lapses). A back-end with one driver returns them all."""
        ...

    def close(self) -> None: ...


class SQLiteDB:
    """One SQLite file (WAL, busy timeout): safe for several processes on one machine."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.url = f"sqlite:///{path}"
        path.parent.mkdir(parents=True, exist_ok=True)
        self.conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
        self.conn.row_factory = sqlite3.Row
        self.conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        self.conn.execute("PRAGMA journal_mode = WAL")
        self.ensure_schema()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self.conn
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    def ensure_schema(self) -> list[int]:
        """Apply the migrations this database lacks (idempotent); return the versions applied."""
        applied: list[int] = []
        with self._write() as conn:
            conn.execute("CREATE TABLE IF NOT EXISTS migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)")
            current = conn.execute("SELECT COALESCE(MAX(version), 0) FROM migrations").fetchone()[0]
            if current > SCHEMA_VERSION:
                raise RuntimeError(f"{self.path}: fleet schema v{current} is newer than this CODI (v{SCHEMA_VERSION})")
            for version in range(current + 1, SCHEMA_VERSION + 1):
                for statement in MIGRATIONS[version - 1]:
                    conn.execute(statement)
                conn.execute("INSERT INTO migrations (version, applied_at) VALUES (?, ?)", (version, now()))
                applied.append(version)
        return applied

    def start_scan(self, scan: ScanRow) -> None:
        with self._write() as conn:
            conn.execute(
                "INSERT INTO scans (scan_id, started_at, status, manifest, shard, repos, codi_version)"
                " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(scan_id) DO UPDATE SET status = excluded.status,"
                " repos = excluded.repos, finished_at = NULL",
                (scan.scan_id, scan.started_at, scan.status, scan.manifest, scan.shard, scan.repos,
                 scan.extra.get("codi_version", "")),
            )

    def _scan(self, row: sqlite3.Row) -> ScanRow:
        return ScanRow(row["scan_id"], row["started_at"], row["status"], row["manifest"], row["shard"],
                       row["repos"], row["finished_at"], {"codi_version": row["codi_version"]})

    def scan(self, scan_id: str) -> ScanRow | None:
        row = self.conn.execute("SELECT * FROM scans WHERE scan_id = ?", (scan_id,)).fetchone()
        return None if row is None else self._scan(row)

    def scans(self, limit: int = 20) -> list[ScanRow]:
        rows = self.conn.execute("SELECT * FROM scans ORDER BY started_at DESC, scan_id DESC LIMIT ?", (limit,))
        return [self._scan(r) for r in rows]

    def start_part(self, scan_id: str, part: str, worker: str, repos: int) -> None:
        with self._write() as conn:
            conn.execute("INSERT INTO scan_parts (scan_id, part, worker, repos, status, started_at)"
                         " VALUES (?, ?, ?, ?, 'running', ?) ON CONFLICT(scan_id, part) DO UPDATE SET"
                         " worker = excluded.worker, repos = excluded.repos, status = 'running', finished_at = NULL",
                         (scan_id, part, worker, repos, now()))

    def finish_part(self, scan_id: str, part: str, status: str) -> str:
        with self._write() as conn:  # one writer at a time: the last part to finish sees the others'
            conn.execute("UPDATE scan_parts SET status = ?, finished_at = ? WHERE scan_id = ? AND part = ?",
                         (status, now(), scan_id, part))
            counts = conn.execute(PART_COUNTS.replace("%s", "?"), (scan_id,) * 4).fetchone()
            merged = merged_status(*counts)
            conn.execute("UPDATE scans SET status = ?, finished_at = ? WHERE scan_id = ?",
                         (merged, None if merged == "running" else now(), scan_id))
        return merged

    def contents(self, keys: list[str]) -> dict[str, ContentRow]:
        found: dict[str, ContentRow] = {}
        for i in range(0, len(keys), 500):
            part = keys[i : i + 500]
            marks = ",".join("?" * len(part))
            for r in self.conn.execute(f"SELECT * FROM content_results WHERE key IN ({marks})", part):
                found[r["key"]] = ContentRow(r["key"], r["findings"], json.loads(r["by_rule"]), r["stack"], r["files"],
                                             r["result_uri"], r["run_uri"])
        return found

    def put_content(self, row: ContentRow) -> None:
        with self._write() as conn:
            conn.execute(
                "INSERT INTO content_results (key, findings, by_rule, stack, files, result_uri, run_uri, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(key) DO UPDATE SET findings = excluded.findings,"
                " by_rule = excluded.by_rule, stack = excluded.stack, files = excluded.files,"
                " result_uri = excluded.result_uri, run_uri = COALESCE(excluded.run_uri, content_results.run_uri)",
                (row.key, row.findings, json.dumps(row.by_rule, sort_keys=True), row.stack, row.files, row.result_uri,
                 row.run_uri, now()),
            )

    def put_repo(self, scan_id: str, row: RepoRow) -> None:
        with self._write() as conn:
            conn.execute(
                "INSERT INTO repo_results (scan_id, name, position, source, status, key, findings, error, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(scan_id, source) DO UPDATE SET"
                " position = excluded.position, name = excluded.name, status = excluded.status,"
                " key = excluded.key, findings = excluded.findings, error = excluded.error,"
                " updated_at = excluded.updated_at",
                (scan_id, row.name, row.position, row.source, row.status, row.key, row.findings, row.error, now()),
            )

    def repos(self, scan_id: str) -> list[RepoRow]:
        rows = self.conn.execute("SELECT * FROM repo_results WHERE scan_id = ? ORDER BY position", (scan_id,))
        return [RepoRow(r["name"], r["position"], r["source"], r["status"], r["key"], r["findings"], r["error"])
                for r in rows]

    def claim(self, scan_id: str, keys: list[str], worker: str) -> list[str]:
        """One machine, one driver a scan: everything is this driver's (shards run one after another)."""
        return list(keys)

    def close(self) -> None:
        self.conn.close()


class DBError(Exception):
    """A database URL CODI cannot use."""


def open_db(url: str | None, default: Path) -> ResultDB:
    """``None`` -> SQLite at ``default``; ``sqlite:///path`` (``sqlite:////abs`` or ``sqlite:///rel``);
    ``postgresql://...`` (or ``postgres://``) -> Postgres (the ``codi[postgres]`` extra)."""
    if not url:
        return SQLiteDB(default)
    parsed = urlparse(url)
    if parsed.scheme == "sqlite":
        path = url[len("sqlite:///"):] if url.startswith("sqlite:///") else parsed.path
        if not path:
            raise DBError(f"--db {url}: expected sqlite:///PATH")
        return SQLiteDB(Path(path).expanduser())
    if parsed.scheme in ("postgresql", "postgres"):
        from codi.fleet.pg import PostgresDB

        return PostgresDB(url)
    raise DBError(f"--db {url}: unsupported scheme {parsed.scheme!r} (this CODI has: sqlite:///PATH, postgresql://)")
