"""The scan database's protocol (``ResultDB``), its rows, migrations and errors: what every back-end shares.

The SQLite back-end is codi.fleet.db_sqlite, the Postgres one codi.fleet.pg; codi.fleet.db picks one."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

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


class DBError(Exception):
    """A database URL CODI cannot use."""
