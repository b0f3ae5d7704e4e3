"""The run memory's Postgres back-end (``CODI_DB_URL``, the ``codi[postgres]`` extra: psycopg 3).

The same runs and outcomes as the SQLite index (codi.rag.store), in ``rag_*`` tables so one database
can also hold the API's jobs and a fleet scan. Full-text search is a tsvector in the 'simple'
configuration (no stemming, no stop words, case folded): it splits ``python:3.12-slim`` into python,
3.12 and slim and keeps ``python-pip-multistage`` and ``DL3008`` whole (the former besides its parts),
so each query term is parsed the same way (``phraseto_tsquery('simple', term)``) and matches where its
words stand together. The query terms (stack, image family, finding codes, rule ids) match the same
runs as in SQLite's FTS5; only a word inside a longer token (``pip`` in a rule id) also matches here.
Ranking is ``ts_rank`` instead of BM25; codi.rag.memory scales either to the best match before adding
the structured similarity, so the same runs come first.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

from codi.config.dburl import redact
from codi.pgschema import migrate, pg_connect, schema_version
from codi.rag.index_protocol import MemoryIndex, Row, RunMemoryError

if TYPE_CHECKING:
    import psycopg

    from codi.rag.memory import RunDoc

# ensure_schema's advisory lock: replicas starting together migrate once, one after another. Not the
# fleet scan's lock (codi.fleet.pg): the two schemas are independent.
SCHEMA_LOCK = 0x636F64692D726167  # "codi-rag"
_TEXT = ("stack", "base_images", "findings", "dockerfile", "candidates", "evidence")

# Each entry upgrades the schema by one version (rows in rag_migrations). Never edit a shipped entry.
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (  # 1: the SQLite index's v3 (runs, outcomes, searchable text)
        """CREATE TABLE rag_runs (
            run_id TEXT PRIMARY KEY, created_at TEXT, project_name TEXT, stack TEXT NOT NULL,
            base_images TEXT NOT NULL DEFAULT '', findings TEXT NOT NULL DEFAULT '',
            summary TEXT NOT NULL DEFAULT '', run_dir TEXT, indexed_at TEXT, project_path TEXT)""",
        """CREATE TABLE rag_outcomes (
            run_id TEXT NOT NULL REFERENCES rag_runs(run_id) ON DELETE CASCADE, candidate_id TEXT NOT NULL,
            rule_id TEXT NOT NULL, kind TEXT, number_kind TEXT, size_delta_pct DOUBLE PRECISION,
            layers_delta INTEGER, verified BOOLEAN NOT NULL DEFAULT FALSE, applied BOOLEAN NOT NULL DEFAULT FALSE,
            text_hash TEXT, applied_at TEXT, applied_how TEXT, PRIMARY KEY (run_id, candidate_id))""",
        """CREATE TABLE rag_text (
            run_id TEXT PRIMARY KEY REFERENCES rag_runs(run_id) ON DELETE CASCADE,
            stack TEXT NOT NULL DEFAULT '', base_images TEXT NOT NULL DEFAULT '', findings TEXT NOT NULL DEFAULT '',
            dockerfile TEXT NOT NULL DEFAULT '', candidates TEXT NOT NULL DEFAULT '', evidence TEXT NOT NULL DEFAULT '',
            doc tsvector GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, stack || ' ' || base_images || ' ' ||
                findings || ' ' || dockerfile || ' ' || candidates || ' ' || evidence)) STORED)""",
        "CREATE INDEX rag_text_doc ON rag_text USING GIN (doc)",
        "CREATE INDEX rag_runs_stack ON rag_runs(stack)",
        "CREATE INDEX rag_outcomes_rule ON rag_outcomes(rule_id)",
        "CREATE INDEX rag_outcomes_text ON rag_outcomes(text_hash)",
    ),
)
SCHEMA_VERSION = len(MIGRATIONS)

P = ParamSpec("P")
T = TypeVar("T")


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def _db(method: Callable[P, T]) -> Callable[P, T]:
    """psycopg's errors as RunMemoryError: callers catch one error for either back-end."""

    @functools.wraps(method)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        import psycopg

        try:
            return method(*args, **kwargs)
        except psycopg.Error as exc:
            raise RunMemoryError(_one_line(exc)) from exc

    return wrapper


def _clean(value: Any) -> Any:
    """Postgres text cannot hold NUL (a Dockerfile read with errors='replace' may)."""
    return value.replace("\x00", "") if isinstance(value, str) else value


class PostgresIndex(MemoryIndex):
    """One connection (autocommit; an explicit transaction for each write)."""

    SCHEMA_VERSION = SCHEMA_VERSION

    def __init__(self, url: str) -> None:
        try:
            import psycopg
        except ImportError:
            raise RunMemoryError("psycopg is not installed (pip install 'codi[postgres]')") from None
        self.location = redact(url)
        try:
            self.conn: psycopg.Connection[dict[str, Any]] = pg_connect(url, "codi-rag", dict_rows=True)
        except psycopg.Error as exc:
            raise RunMemoryError(f"cannot connect: {_one_line(exc)}") from None

    def close(self) -> None:
        self.conn.close()

    @_db
    def schema_version(self) -> int:
        return schema_version(self.conn, "rag_migrations")

    @_db
    def ensure_schema(self) -> list[int]:
        def too_new(current: int) -> RunMemoryError:
            return RunMemoryError(f"run memory schema v{current} is newer than this CODI (v{SCHEMA_VERSION})")

        with self.conn.transaction():
            return migrate(self.conn, "rag_migrations", SCHEMA_LOCK, MIGRATIONS, too_new)

    @_db
    def put(self, doc: RunDoc) -> None:
        run = {k: _clean(v) for k, v in doc.run_columns().items()}
        text = {k: _clean(v) for k, v in doc.text_columns().items()}
        names, updates = ", ".join(run), ", ".join(f"{k} = excluded.{k}" for k in run if k != "run_id")
        with self.conn.transaction():
            # The upsert comes first: it locks the run's row, so two writers of one run take turns.
            self.conn.execute(f"INSERT INTO rag_runs ({names}) VALUES ({', '.join(['%s'] * len(run))}) "
                              f"ON CONFLICT (run_id) DO UPDATE SET {updates}", tuple(run.values()))
            self.conn.execute("DELETE FROM rag_outcomes WHERE run_id = %s", (doc.run_id,))
            with self.conn.cursor() as cur:
                cur.executemany(
                    "INSERT INTO rag_outcomes (run_id, candidate_id, rule_id, kind, number_kind, size_delta_pct,"
                    " layers_delta, verified, applied, text_hash, applied_at, applied_how)"
                    " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                    [(doc.run_id, o.candidate_id, o.rule_id, o.kind, o.number_kind, o.size_delta_pct, o.layers_delta,
                      o.verified, o.applied, o.text_hash, o.applied_at, o.applied_how) for o in doc.outcomes])
            self.conn.execute(
                f"INSERT INTO rag_text (run_id, {', '.join(_TEXT)}) VALUES (%s{', %s' * len(_TEXT)}) "
                f"ON CONFLICT (run_id) DO UPDATE SET {', '.join(f'{k} = excluded.{k}' for k in _TEXT)}",
                (doc.run_id, *(text[k] for k in _TEXT)))

    @_db
    def clear(self) -> None:
        with self.conn.transaction():
            for table in ("rag_text", "rag_outcomes", "rag_runs"):
                self.conn.execute(f"DELETE FROM {table}")

    @_db
    def delete_runs(self, run_ids: Sequence[str]) -> int:
        deleted = 0
        with self.conn.transaction():
            for table in ("rag_text", "rag_outcomes", "rag_runs"):
                cur = self.conn.execute(f"DELETE FROM {table} WHERE run_id = ANY(%s)",
                                        (list(run_ids),))
                deleted += cur.rowcount
        return deleted

    @_db
    def search_rows(self, terms: Sequence[str], exclude: str, limit: int) -> list[Row]:
        # One phrase query per term, OR-ed: each term is split by the same parser as the text.
        query = " || ".join(["phraseto_tsquery('simple', %s)"] * len(terms))
        # ts_rank's normalisation 1 divides by 1 + log(length): long Dockerfiles do not win by size (as in BM25).
        rows = self.conn.execute(
            "SELECT t.run_id, ts_rank(t.doc, q.q, 1) AS relevance, r.stack, r.findings, r.base_images, r.summary"
            f" FROM rag_text t JOIN rag_runs r ON r.run_id = t.run_id, (SELECT {query} AS q) q"
            " WHERE t.doc @@ q.q AND t.run_id <> %s ORDER BY relevance DESC, t.run_id LIMIT %s",
            (*terms, exclude, limit)).fetchall()
        return [{**r, "relevance": float(r["relevance"])} for r in rows]

    @_db
    def outcomes(self, run_id: str) -> list[Row]:
        return self.conn.execute("SELECT candidate_id, rule_id, size_delta_pct, verified, applied FROM rag_outcomes"
                                 " WHERE run_id = %s ORDER BY candidate_id", (run_id,)).fetchall()

    @_db
    def run(self, run_id: str) -> Row | None:
        return self.conn.execute("SELECT run_dir, project_path, created_at FROM rag_runs WHERE run_id = %s",
                                 (run_id,)).fetchone()

    @_db
    def offers(self, text_hash: str, project_path: str, exclude: str) -> list[Row]:
        return self.conn.execute(
            "SELECT o.run_id, o.candidate_id, o.applied FROM rag_outcomes o JOIN rag_runs r ON r.run_id = o.run_id"
            " WHERE o.text_hash = %s AND r.project_path = %s AND o.run_id <> %s"
            " ORDER BY r.created_at DESC, o.run_id DESC", (text_hash, project_path, exclude)).fetchall()

    @_db
    def dockerfile(self, run_id: str) -> str | None:
        row = self.conn.execute("SELECT dockerfile FROM rag_text WHERE run_id = %s", (run_id,)).fetchone()
        return None if row is None else str(row["dockerfile"])

    @_db
    def set_applied(self, run_id: str, candidate_id: str, applied_at: str, how: str) -> None:
        with self.conn.transaction():
            self.conn.execute("UPDATE rag_outcomes SET applied = TRUE, applied_at = %s, applied_how = %s"
                              " WHERE run_id = %s AND candidate_id = %s", (applied_at, how, run_id, candidate_id))

    @_db
    def run_ids(self) -> set[str]:
        return {str(r["run_id"]) for r in self.conn.execute("SELECT run_id FROM rag_runs")}

    @_db
    def count_runs(self) -> int:
        row = self.conn.execute("SELECT COUNT(*) AS n FROM rag_runs").fetchone()
        return int(row["n"]) if row else 0
