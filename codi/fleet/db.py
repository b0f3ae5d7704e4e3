"""The scan database: ``open_db`` picks the back-end of a URL (protocol: codi.fleet.db_protocol).

Tables: ``scans`` (one row a scan), ``repo_results`` (a repository's outcome in a scan, keyed by its
normalised source),
``content_results`` (a lint result by content key, shared by every scan and repository) and
``migrations`` (the schema versions applied, as `codi index ensure-schema` keeps them). Every
write is an upsert. Only the driver writes; workers never open the database.
The Postgres back-end (codi.fleet.pg: several drivers or shards on one scan, claims with
``SELECT ... FOR UPDATE SKIP LOCKED``) implements the same protocol.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlparse

from codi.fleet.db_protocol import DBError, ResultDB
from codi.fleet.db_sqlite import SQLiteDB
from codi.fleet.pg import PostgresDB


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
        return PostgresDB(url)
    raise DBError(f"--db {url}: unsupported scheme {parsed.scheme!r} (this CODI has: sqlite:///PATH, postgresql://)")
