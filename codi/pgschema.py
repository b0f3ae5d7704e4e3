"""Versioned schema migrations in Postgres, the one way CODI's Postgres users apply theirs: a fleet's
scan database (codi.fleet.pg), the run memory (codi.rag.pg_store) and the API's shared state
(codi.service.statedb). Each keeps its versions in a table of its own and migrates under an advisory
lock of its own, inside the caller's transaction, so processes that start together migrate once, one
after another. ``pg_connect`` is how every one of them connects (psycopg is imported only there, when called).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import psycopg

# The database's clock as ISO text (2026-11-30T07:00:00Z), for tables whose stamps are TEXT.
TEXT_NOW = """to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')"""
# One timeout for every Postgres connection CODI opens: a reachable database over TLS answers in well under
# a second; an unreachable one fails the command (or makes a cache miss) within 5 s instead of hanging.
CONNECT_TIMEOUT_S = 5
Migrations = Sequence[Sequence[str]]  # each entry upgrades the schema by one version; never edit a shipped one


def migrate(conn: psycopg.Connection[Any], table: str, lock: int, migrations: Migrations,
            too_new: Callable[[int], Exception], *, text_stamps: bool = False) -> list[int]:
    """Apply the migrations the database lacks; return the versions applied. Call it inside a
    transaction. ``too_new(version)`` is raised for a schema newer than ``migrations``.
    ``text_stamps``: the version table's ``applied_at`` is TEXT (the fleet database's, shared with
    SQLite), else TIMESTAMPTZ."""
    conn.execute("SELECT pg_advisory_xact_lock(%s)", (lock,))
    stamp = "TEXT NOT NULL" if text_stamps else "TIMESTAMPTZ NOT NULL DEFAULT now()"
    conn.execute(f"CREATE TABLE IF NOT EXISTS {table} (version INTEGER PRIMARY KEY, applied_at {stamp})")
    current = schema_version(conn, table)
    if current > len(migrations):
        raise too_new(current)
    now = TEXT_NOW if text_stamps else "now()"
    applied: list[int] = []
    for version in range(current + 1, len(migrations) + 1):
        for statement in migrations[version - 1]:
            conn.execute(statement)  # our own constant DDL
        conn.execute(f"INSERT INTO {table} (version, applied_at) VALUES (%s, {now})", (version,))
        applied.append(version)
    return applied


def schema_version(conn: psycopg.Connection[Any], table: str) -> int:
    """The latest version recorded in ``table``; 0 when there is no such table (nothing migrated yet).
    Reads only, so it also serves read-only checks (``codi doctor``)."""
    from psycopg.rows import tuple_row

    cur = conn.cursor(row_factory=tuple_row)
    if cur.execute("SELECT to_regclass(%s)", (table,)).fetchone() == (None,):
        return 0
    row = cur.execute(f"SELECT COALESCE(MAX(version), 0) FROM {table}").fetchone()
    return int(row[0]) if row else 0


def pg_connect(url: str, application_name: str, *, dict_rows: bool = False) -> psycopg.Connection[Any]:
    """An autocommit connection (rows as dicts with ``dict_rows``). Raises ImportError without psycopg
    (the codi[postgres] extra) and psycopg.Error when it cannot connect; callers say which in one line."""
    import psycopg
    from psycopg.rows import dict_row

    if dict_rows:
        return psycopg.connect(url, autocommit=True, connect_timeout=CONNECT_TIMEOUT_S,
                               application_name=application_name, row_factory=dict_row)  # type: ignore[return-value,unused-ignore]
    return psycopg.connect(url, autocommit=True, connect_timeout=CONNECT_TIMEOUT_S, application_name=application_name)
