"""Where the run memory lives, and the one interface both places offer (``MemoryIndex``).

Unset ``CODI_DB_URL``: ``<out>/_rag/index.sqlite3`` (codi.rag.store, FTS5 and BM25). Set: that
Postgres (codi.rag.pg_store, tsvector and ts_rank), so the ``codi serve`` replicas behind a load
balancer remember each other's runs. Callers open the memory through :func:`open_memory` and never
branch on the back-end; the SQL dialects stay in those two modules.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from codi.config.dburl import ENV, DBURLError, redact, state_db_url

if TYPE_CHECKING:
    from codi.rag.memory import RunDoc

Row = dict[str, Any]


class RunMemoryError(RuntimeError):
    """The run memory cannot be opened or used: a bad CODI_DB_URL, no psycopg, an unreachable database,
    a damaged file, a failed query. Both back-ends raise it for their driver's errors (callers catch one
    error, plus OSError for the file system); the message is one line."""


class MemoryIndex(Protocol):
    """The operations on the run memory. Rows are plain dicts; booleans are bools in both back-ends."""

    location: str  # the file, or the database URL without its password (for messages)
    SCHEMA_VERSION: int  # this back-end's newest schema

    def close(self) -> None: ...

    def schema_version(self) -> int:
        """The schema version in place (0: nothing created yet)."""
        ...

    def ensure_schema(self) -> list[int]:
        """Apply the migrations this store lacks (idempotent, safe with concurrent callers); the versions applied."""
        ...

    def put(self, doc: RunDoc) -> None:
        """Insert or replace one run, its outcomes and its searchable text, in one transaction."""
        ...

    def clear(self) -> None: ...

    def delete_runs(self, run_ids: Sequence[str]) -> int:
        """Remove these runs in one transaction; the number of rows deleted."""
        ...

    def search_rows(self, terms: Sequence[str], exclude: str, limit: int) -> list[Row]:
        """Runs whose text holds any of ``terms``, most relevant first: run_id, relevance (higher is
        better), stack, findings, base_images, summary."""
        ...

    def outcomes(self, run_id: str) -> list[Row]:
        """candidate_id, rule_id, size_delta_pct, verified, applied of one run's candidates."""
        ...

    def run(self, run_id: str) -> Row | None:
        """run_dir, project_path, created_at of one run, or None."""
        ...

    def offers(self, text_hash: str, project_path: str, exclude: str) -> list[Row]:
        """Candidates of earlier runs of ``project_path`` with this text (run_id, candidate_id, applied), newest first."""
        ...

    def dockerfile(self, run_id: str) -> str | None: ...

    def set_applied(self, run_id: str, candidate_id: str, applied_at: str, how: str) -> None: ...

    def run_ids(self) -> set[str]: ...

    def count_runs(self) -> int: ...

    def __enter__(self) -> MemoryIndex:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


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
    from codi.rag.store import index_path

    return str(index_path(out))


def connect_memory(out: str | Path, env: Mapping[str, str] | None = None) -> MemoryIndex:
    """The memory of ``out`` as it is (no migration): for ``ensure-schema`` and doctor."""
    url = shared_url(env)
    if url:
        from codi.rag.pg_store import PostgresIndex

        return PostgresIndex(url)
    from codi.rag.store import SQLiteIndex, connect, index_path

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
    if not shared_url(env):
        from codi.rag.store import index_path

        if not index_path(out).is_file():
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
        from codi.rag.store import SQLiteIndex

        return SQLiteIndex(index, "sqlite", owned=False)
    return index
