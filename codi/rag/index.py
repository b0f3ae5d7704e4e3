"""Where the run memory lives, and the one interface both places offer (``MemoryIndex``).

Unset ``CODI_DB_URL``: ``<out>/_rag/index.sqlite3`` (codi.rag.store, FTS5 and BM25). Set: that
Postgres (codi.rag.pg_store, tsvector and ts_rank), so the ``codi serve`` replicas behind a load
balancer remember each other's runs. Callers open the memory through :func:`open_memory` and never
branch on the back-end; the SQL dialects stay in those two modules.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Mapping
from pathlib import Path

from codi.config.dburl import ENV, DBURLError, redact, state_db_url
from codi.rag.index_protocol import MemoryIndex, RunMemoryError
from codi.rag.pg_store import PostgresIndex
from codi.rag.store import SQLiteIndex, connect, index_path


def shared_url(env: Mapping[str, str] | None = None) -> str | None:
    """CODI_DB_URL when the run memory lives in Postgres; RunMemoryError for an unusable one."""
    try:
        return state_db_url(env)
    except DBURLError as exc:
        raise RunMemoryError(str(exc)) from None


def memory_location(out: str | Path, env: Mapping[str, str] | None = None) -> str:
    """The file or (redacted) URL the memory of ``out`` is in; never raises (it names a bad URL too)."""
    try:
        url = state_db_url(env)
    except DBURLError:
        return f"{ENV}={redact((os.environ if env is None else env).get(ENV, '').strip())}"
    if url:
        return redact(url)
    return str(index_path(out))


def connect_memory(out: str | Path, env: Mapping[str, str] | None = None) -> MemoryIndex:
    """The memory of ``out`` as it is (no migration): for ``ensure-schema`` and doctor."""
    url = shared_url(env)
    if url:
        return PostgresIndex(url)
    path = index_path(out)
    try:
        return SQLiteIndex(connect(path), str(path))
    except sqlite3.Error as exc:
        raise RunMemoryError(str(exc)) from exc


def open_memory(out: str | Path, env: Mapping[str, str] | None = None) -> MemoryIndex:
    """The run memory of runs root ``out``, created or migrated to the current schema."""
    index = connect_memory(out, env)
    try:
        index.ensure_schema()
    except BaseException:
        index.close()
        raise
    return index


def open_existing(out: str | Path, env: Mapping[str, str] | None = None) -> MemoryIndex | None:
    """Like :func:`open_memory`, or None when nothing has been remembered yet: readers never create
    the file or the tables."""
    if not shared_url(env) and not index_path(out).is_file():
        return None
    index = connect_memory(out, env)
    try:
        if index.schema_version() == 0:
            index.close()
            return None
        index.ensure_schema()
    except BaseException:
        index.close()
        raise
    return index


def shared_memory_note(env: Mapping[str, str] | None = None) -> str | None:
    """For the commands about local files (backup, restore, drill): where the run memory is instead."""
    try:
        url = state_db_url(env)
    except DBURLError as exc:
        return str(exc)
    if url is None:
        return None
    return (f"the run memory is in Postgres ({ENV}={redact(url)}), not in <out>/_rag/: back it up with the "
            "database's own tools (pg_dump)")


def as_index(index: MemoryIndex | sqlite3.Connection) -> MemoryIndex:
    """A bare sqlite3 connection to an index file (older callers, tests) as a MemoryIndex it does not close."""
    if isinstance(index, sqlite3.Connection):
        return SQLiteIndex(index, "sqlite", owned=False)
    return index
