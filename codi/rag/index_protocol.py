"""The run memory's interface (``MemoryIndex``), its rows and its one error: what both back-ends implement.

SQLite: codi.rag.store; Postgres: codi.rag.pg_store; codi.rag.index opens the one CODI_DB_URL asks for."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol

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
