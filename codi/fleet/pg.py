"""The Postgres scan database (``--db postgresql://...``, the ``codi[postgres]`` extra: psycopg 3).

The same tables and migrations as the SQLite back-end (codi.fleet.db), so a scan reads the same
either way. Several drivers (or ``--shard`` s, or Kubernetes Job indexes) can share one scan:
before linting a content key a driver claims it, and a claim is taken with
``SELECT ... FOR UPDATE SKIP LOCKED``, so two drivers never lint the same content; the other one
waits for the result (codi.fleet.scan). A claim lapses after ``CLAIM_LEASE_S`` (a driver that
died), and then another driver may take it. Every write is an upsert, in its own transaction.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from codi.config.dburl import redact as _redact
from codi.fleet.db_protocol import (
    MIGRATIONS,
    PART_COUNTS,
    SCHEMA_VERSION,
    ContentRow,
    DBError,
    RepoRow,
    ScanRow,
    merged_status,
    now,
)
from codi.pgschema import TEXT_NOW, migrate, pg_connect

if TYPE_CHECKING:
    import psycopg

CLAIM_LEASE_S = 600.0
# One lock id for ensure_schema: drivers starting together migrate once, one after another.
SCHEMA_LOCK = 0x636F6469  # "codi"
# The database's clock, in the format of ``codi.fleet.db.now`` (TEXT timestamps, as in SQLite).
DB_NOW = TEXT_NOW
DB_LAPSED = """to_char((now() - make_interval(secs => %(lease)s)) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')"""


def _psycopg() -> Any:
    try:
        import psycopg
    except ImportError:
        raise DBError("--db postgresql://: psycopg is not installed (pip install 'codi[postgres]')") from None
    return psycopg


class PostgresDB:
    """One connection (autocommit; explicit transactions for writes), for the driver's thread."""

    def __init__(self, url: str, lease_s: float = CLAIM_LEASE_S) -> None:
        pg = _psycopg()

        self.url = url
        self.lease_s = lease_s
        try:
            self.conn: psycopg.Connection[dict[str, Any]] = pg_connect(url, "codi-scan", dict_rows=True)
        except pg.Error as exc:
            raise DBError(f"--db {_redact(url)}: cannot connect: {str(exc).strip()}") from None
        self.ensure_schema()

    def ensure_schema(self) -> list[int]:
        """Apply the migrations this database lacks (idempotent, serialised by an advisory lock)."""
        def too_new(current: int) -> DBError:
            return DBError(f"{_redact(self.url)}: fleet schema v{current} is newer than this CODI (v{SCHEMA_VERSION})")

        with self.conn.transaction():
            return migrate(self.conn, "migrations", SCHEMA_LOCK, MIGRATIONS, too_new, text_stamps=True)

    def start_scan(self, scan: ScanRow) -> None:
        with self.conn.transaction():
            self.conn.execute(
                "INSERT INTO scans (scan_id, started_at, status, manifest, shard, repos, codi_version)"
                " VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT (scan_id) DO UPDATE SET status = excluded.status,"
                " repos = excluded.repos, finished_at = NULL",
                (scan.scan_id, scan.started_at, scan.status, scan.manifest, scan.shard, scan.repos,
                 scan.extra.get("codi_version", "")),
            )

    @staticmethod
    def _scan(row: dict[str, Any]) -> ScanRow:
        return ScanRow(row["scan_id"], row["started_at"], row["status"], row["manifest"], row["shard"],
                       row["repos"], row["finished_at"], {"codi_version": row["codi_version"]})

    def scan(self, scan_id: str) -> ScanRow | None:
        row = self.conn.execute("SELECT * FROM scans WHERE scan_id = %s", (scan_id,)).fetchone()
        return None if row is None else self._scan(row)

    def scans(self, limit: int = 20) -> list[ScanRow]:
        rows = self.conn.execute("SELECT * FROM scans ORDER BY started_at DESC, scan_id DESC LIMIT %s", (limit,))
        return [self._scan(r) for r in rows]

    def start_part(self, scan_id: str, part: str, worker: str, repos: int) -> None:
        with self.conn.transaction():
            self.conn.execute("INSERT INTO scan_parts (scan_id, part, worker, repos, status, started_at)"
                              " VALUES (%s, %s, %s, %s, 'running', %s) ON CONFLICT (scan_id, part) DO UPDATE SET"
                              " worker = excluded.worker, repos = excluded.repos, status = 'running',"
                              " finished_at = NULL", (scan_id, part, worker, repos, now()))

    def finish_part(self, scan_id: str, part: str, status: str) -> str:
        with self.conn.transaction():
            # The scan's row lock orders parts finishing at once: the last one sees all the others.
            self.conn.execute("SELECT scan_id FROM scans WHERE scan_id = %s FOR UPDATE", (scan_id,))
            self.conn.execute("UPDATE scan_parts SET status = %s, finished_at = %s WHERE scan_id = %s AND part = %s",
                              (status, now(), scan_id, part))
            row = self.conn.execute(PART_COUNTS, (scan_id,) * 4).fetchone()
            assert row is not None
            merged = merged_status(**{k: int(v or 0) for k, v in row.items()})
            self.conn.execute("UPDATE scans SET status = %s, finished_at = %s WHERE scan_id = %s",
                              (merged, None if merged == "running" else now(), scan_id))
        return merged

    def contents(self, keys: list[str]) -> dict[str, ContentRow]:
        if not keys:
            return {}
        rows = self.conn.execute("SELECT * FROM content_results WHERE key = ANY(%s)", (list(keys),))
        return {r["key"]: ContentRow(r["key"], r["findings"], json.loads(r["by_rule"]), r["stack"], r["files"],
                                     r["result_uri"], r["run_uri"]) for r in rows}

    def put_content(self, row: ContentRow) -> None:
        with self.conn.transaction():
            self.conn.execute(
                "INSERT INTO content_results (key, findings, by_rule, stack, files, result_uri, run_uri, created_at)"
                " VALUES (%s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT (key) DO UPDATE SET"
                " findings = excluded.findings, by_rule = excluded.by_rule, stack = excluded.stack,"
                " files = excluded.files, result_uri = excluded.result_uri,"
                " run_uri = COALESCE(excluded.run_uri, content_results.run_uri)",
                (row.key, row.findings, json.dumps(row.by_rule, sort_keys=True), row.stack, row.files,
                 row.result_uri, row.run_uri, now()),
            )

    def put_repo(self, scan_id: str, row: RepoRow) -> None:
        with self.conn.transaction():
            self.conn.execute(
                "INSERT INTO repo_results (scan_id, name, position, source, status, key, findings, error, updated_at)"
                " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT (scan_id, source) DO UPDATE SET"
                " position = excluded.position, name = excluded.name, status = excluded.status,"
                " key = excluded.key, findings = excluded.findings, error = excluded.error,"
                " updated_at = excluded.updated_at",
                (scan_id, row.name, row.position, row.source, row.status, row.key, row.findings, row.error, now()),
            )

    def repos(self, scan_id: str) -> list[RepoRow]:
        rows = self.conn.execute("SELECT * FROM repo_results WHERE scan_id = %s ORDER BY position, name",
                                 (scan_id,))
        return [RepoRow(r["name"], r["position"], r["source"], r["status"], r["key"], r["findings"], r["error"])
                for r in rows]

    def claim(self, scan_id: str, keys: list[str], worker: str) -> list[str]:
        """Take the keys nobody else holds: new ones, this worker's own, and lapsed claims. Rows
        another driver is claiming right now are skipped (SKIP LOCKED), not waited for."""
        if not keys:
            return []
        wanted = sorted(set(keys))
        params = {"scan": scan_id, "keys": wanted, "worker": worker, "lease": self.lease_s}
        with self.conn.transaction():
            inserted = self.conn.execute(
                f"INSERT INTO claims (scan_id, key, worker, claimed_at) SELECT %(scan)s, k, %(worker)s, {DB_NOW}"
                " FROM unnest(%(keys)s::text[]) AS k ON CONFLICT (scan_id, key) DO NOTHING RETURNING key",
                params,
            ).fetchall()
            mine = {r["key"] for r in inserted}
            rest = [k for k in wanted if k not in mine]
            if rest:
                taken = self.conn.execute(
                    "SELECT key FROM claims WHERE scan_id = %(scan)s AND key = ANY(%(rest)s)"
                    f" AND (worker = %(worker)s OR claimed_at <= {DB_LAPSED}) FOR UPDATE SKIP LOCKED",
                    {**params, "rest": rest},
                ).fetchall()
                again = [r["key"] for r in taken]
                if again:
                    self.conn.execute(
                        f"UPDATE claims SET worker = %(worker)s, claimed_at = {DB_NOW}"
                        " WHERE scan_id = %(scan)s AND key = ANY(%(again)s)",
                        {**params, "again": again},
                    )
                    mine.update(again)
        return [k for k in keys if k in mine]

    def close(self) -> None:
        self.conn.close()
