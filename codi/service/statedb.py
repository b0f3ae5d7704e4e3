"""The Postgres that ``codi serve`` replicas share (``CODI_DB_URL``): one connection a process, and the schema.

The API keeps its jobs (``api_jobs``, codi.service.jobs_pg) and metrics (``api_metrics``,
codi.api.metrics_pg) here, and the versions of their schema in ``api_migrations`` (as the run memory
keeps ``rag_migrations`` and a fleet scan database ``migrations``, each its own). Replicas that start
together migrate once, one after another (an advisory lock). Timestamps are the database's ``now()``, never a replica's
clock, so replicas on different hosts compare heartbeats and ages without trusting each other's clocks.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from codi.config.dburl import ENV, redact
from codi.pgschema import migrate, pg_connect
from codi.pgschema import schema_version as pg_schema_version

if TYPE_CHECKING:
    import psycopg

# Not codi.fleet.pg's ("codi") nor the run memory's lock: their migrations and the API's never wait for each other.
SCHEMA_LOCK = 0x636F64690001
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        # heartbeat_at: beaten by the process that holds a queued or running job (codi.service.jobs_pg).
        "CREATE TABLE api_jobs (id TEXT PRIMARY KEY, seq BIGINT GENERATED ALWAYS AS IDENTITY, kind TEXT NOT NULL,"
        " state TEXT NOT NULL, created_at TIMESTAMPTZ NOT NULL DEFAULT now(), started_at TIMESTAMPTZ,"
        " finished_at TIMESTAMPTZ, result JSONB, error TEXT, host TEXT NOT NULL, pid INTEGER NOT NULL,"
        " heartbeat_at TIMESTAMPTZ NOT NULL DEFAULT now())",
        "CREATE INDEX api_jobs_seq ON api_jobs (seq)",
        # One row a server process (its counters since it started), plus 'retired' (codi.api.metrics_pg).
        "CREATE TABLE api_metrics (process TEXT PRIMARY KEY, host TEXT NOT NULL, pid INTEGER NOT NULL,"
        " snapshot JSONB NOT NULL, updated_at TIMESTAMPTZ NOT NULL DEFAULT now())",
    ),
)
SCHEMA_VERSION = len(MIGRATIONS)

T = TypeVar("T")


class StateDBError(RuntimeError):
    """The shared state database is unusable: psycopg missing, unreachable, or a schema newer than this CODI."""


def _psycopg() -> Any:
    try:
        import psycopg
    except ImportError:
        raise StateDBError(f"{ENV} is set but psycopg is not installed (pip install 'codi[postgres]')") from None
    return psycopg


def _why(exc: Exception) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def connect(url: str, application_name: str = "codi-serve") -> psycopg.Connection[Any]:
    """An autocommit connection, or StateDBError saying plainly why not."""
    pg = _psycopg()
    try:
        conn: psycopg.Connection[Any] = pg_connect(url, application_name)
    except pg.Error as exc:
        raise StateDBError(f"{ENV}={redact(url)}: cannot connect: {_why(exc)}") from None
    return conn


class StateDB:
    """One connection, used under a lock; each :meth:`run` is one transaction. A connection that broke is
    opened again and the call retried once (every statement the API sends here may run twice)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._lock = threading.Lock()
        self._conn: psycopg.Connection[Any] | None = connect(url)
        try:
            self.run(_migrate)
        except StateDBError:
            self.close()
            raise

    def run(self, work: Callable[[psycopg.Connection[Any]], T]) -> T:
        pg = _psycopg()
        with self._lock:
            for attempt in (1, 2):
                try:
                    if self._conn is None or self._conn.closed:
                        self._conn = connect(self.url)
                    with self._conn.transaction():
                        return work(self._conn)
                except pg.OperationalError as exc:
                    if attempt == 1 and (self._conn is None or self._conn.broken or self._conn.closed):
                        self._drop()
                        continue
                    raise StateDBError(f"{ENV}={redact(self.url)}: {_why(exc)}") from None
                except pg.Error as exc:
                    raise StateDBError(f"{ENV}={redact(self.url)}: {_why(exc)}") from None
        raise AssertionError("unreachable")

    def _drop(self) -> None:
        if self._conn is not None:
            self._conn.close()
        self._conn = None

    def close(self) -> None:
        with self._lock:
            self._drop()


def _migrate(conn: psycopg.Connection[Any]) -> list[int]:
    """Apply the API's migrations this database lacks (idempotent; replicas take turns)."""
    def too_new(current: int) -> StateDBError:
        return StateDBError(f"{ENV}: the database's API schema v{current} is newer than this CODI's "
                            f"v{SCHEMA_VERSION} (upgrade CODI on every replica)")

    return migrate(conn, "api_migrations", SCHEMA_LOCK, MIGRATIONS, too_new)


def schema_version(url: str) -> int:
    """The API schema's version, without changing anything (``codi doctor``); 0 before the first start."""
    conn = connect(url, "codi-doctor")
    try:
        conn.execute("SET default_transaction_read_only = on")
        return pg_schema_version(conn, "api_migrations")
    except _psycopg().Error as exc:
        raise StateDBError(f"{ENV}={redact(url)}: {_why(exc)}") from None
    finally:
        conn.close()
