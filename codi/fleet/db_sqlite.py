"""The scan database in one SQLite file (the default back-end of codi.fleet.db)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from codi.fleet.db_protocol import (
    MIGRATIONS,
    PART_COUNTS,
    SCHEMA_VERSION,
    ContentRow,
    RepoRow,
    ScanRow,
    merged_status,
    now,
)
from codi.sqlitedb import BUSY_TIMEOUT_MS, open_sqlite


class SQLiteDB:
    """One SQLite file (WAL, busy timeout): safe for several processes on one machine."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.url = f"sqlite:///{path}"
        self.conn = open_sqlite(path)
        self.ensure_schema()

    @classmethod
    def read_only(cls, path: Path) -> SQLiteDB:
        """Open an existing database for reading only: no folder, file, WAL switch or migration is made,
        so viewing a scan database (the dashboard) never changes it. A newer schema is refused."""
        db = cls.__new__(cls)
        db.path, db.url = path, f"sqlite:///{path}"
        db.conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_MS / 1000)
        db.conn.row_factory = sqlite3.Row
        try:
            current = db.conn.execute("SELECT COALESCE(MAX(version), 0) FROM migrations").fetchone()[0]
        except sqlite3.Error:
            db.conn.close()
            raise
        if current > SCHEMA_VERSION:
            db.conn.close()
            raise RuntimeError(f"{path}: fleet schema v{current} is newer than this CODI (v{SCHEMA_VERSION})")
        return db

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
