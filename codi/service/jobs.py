"""A small worker pool for long service calls (background runs): submit, then poll by job id.

Job states live where the pool's store keeps them: in memory (tests, one-off use); in SQLite (WAL, busy
timeout) when the pool is given a database file, so that every worker process of
`codi serve --workers N` answers for every job, whichever one runs it; or in the shared Postgres
(``CODI_DB_URL``, codi.service.jobs_pg), so that every replica does. A job whose process died before it
finished is reported as failed, not left "running" forever.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import sqlite3
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from codi.artifacts.rundir import iso, utc_now
from codi.sqlitedb import open_sqlite
from codi.telemetry.pids import pid_alive

MAX_KEPT = 1000  # finished jobs remembered; the oldest are forgotten first
FINISHED = ("done", "failed")
log = logging.getLogger("codi.api")
_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY, kind TEXT NOT NULL, state TEXT NOT NULL, created_at TEXT NOT NULL,
    started_at TEXT, finished_at TEXT, result TEXT, error TEXT, pid INTEGER NOT NULL, seq INTEGER NOT NULL
)"""


@dataclass(slots=True)
class Job:
    id: str
    kind: str
    state: str = "queued"  # queued | running | done | failed
    created_at: str = field(default_factory=lambda: iso(utc_now()))
    started_at: str | None = None
    finished_at: str | None = None
    result: Any = None  # JSON-like (a pydantic result is stored as its JSON dump)
    error: str | None = None
    pid: int = field(default_factory=os.getpid)


class JobStore(Protocol):
    """Where job states live. A store may replace a job's timestamps with its own clock's."""

    def add(self, job: Job, keep: int) -> None: ...  # a new job; keep at most ``keep`` finished ones
    def save(self, job: Job) -> None: ...
    def get(self, job_id: str) -> Job | None: ...
    def close(self) -> None: ...


def _jsonable(value: Any) -> Any:
    dump = getattr(value, "model_dump", None)
    return dump(mode="json") if callable(dump) else value


class MemoryJobs:
    """This process's jobs only."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._jobs: dict[str, Job] = {}

    def add(self, job: Job, keep: int) -> None:
        with self._lock:
            self._jobs[job.id] = job
            finished = [j for j in self._jobs.values() if j.state in FINISHED]
            for old in finished[: max(0, len(self._jobs) - keep)]:
                del self._jobs[old.id]

    def save(self, job: Job) -> None:
        with self._lock:
            self._jobs[job.id] = job

    def get(self, job_id: str) -> Job | None:
        with self._lock:
            return self._jobs.get(job_id)

    def close(self) -> None:
        pass


class SqliteJobs:
    """The jobs of one host's server processes; a job whose pid is gone is reported failed."""

    def __init__(self, db: Path) -> None:
        self._db = db
        db.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as conn:
            conn.execute(_SCHEMA)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        conn = open_sqlite(self._db, rows=False)
        try:
            conn.execute("PRAGMA synchronous=NORMAL")
            yield conn
        finally:
            conn.close()

    def add(self, job: Job, keep: int) -> None:
        with self._connect() as conn:
            conn.execute("INSERT INTO jobs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, "
                         "(SELECT COALESCE(MAX(seq), 0) + 1 FROM jobs))",
                         (job.id, job.kind, job.state, job.created_at, job.started_at, job.finished_at,
                          _dump(job.result), job.error, job.pid))
            conn.execute("DELETE FROM jobs WHERE state IN ('done', 'failed') AND seq <= "
                         "(SELECT MAX(seq) FROM jobs) - ?", (keep,))

    def save(self, job: Job) -> None:
        with self._connect() as conn:
            conn.execute("UPDATE jobs SET state = ?, started_at = ?, finished_at = ?, result = ?, error = ? "
                         "WHERE id = ?", (job.state, job.started_at, job.finished_at, _dump(job.result), job.error,
                                          job.id))

    def get(self, job_id: str) -> Job | None:
        with self._connect() as conn:
            row = conn.execute("SELECT id, kind, state, created_at, started_at, finished_at, result, error, pid "
                               "FROM jobs WHERE id = ?", (job_id,)).fetchone()
        if row is None:
            return None
        job = Job(row[0], row[1], row[2], row[3], row[4], row[5], None if row[6] is None else json.loads(row[6]),
                  row[7], row[8])
        if job.state in ("queued", "running") and not pid_alive(job.pid):
            job.state, job.error = "failed", f"the server process that ran this job (pid {job.pid}) stopped"
        return job

    def close(self) -> None:
        pass


def _dump(result: Any) -> str | None:
    return None if result is None else json.dumps(result)


class JobPool:
    """Threads run the jobs; states go to ``store``, else to ``db`` (SQLite), else stay in this process."""

    def __init__(self, workers: int = 2, db: Path | None = None, *, store: JobStore | None = None) -> None:
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="codi-job")
        self._store: JobStore = store or (SqliteJobs(db) if db is not None else MemoryJobs())

    def submit(self, kind: str, fn: Callable[[], Any], describe_error: Callable[[BaseException], str]) -> Job:
        job = Job(id=secrets.token_hex(8), kind=kind)
        self._store.add(job, MAX_KEPT)

        def work() -> None:
            job.state, job.started_at = "running", iso(utc_now())
            self._record(job)
            try:
                result = _jsonable(fn())
                json.dumps(result)  # a result that cannot be stored fails the job here, not in the store
                job.result, job.state = result, "done"
            except Exception as exc:  # the job records the failure; the pool keeps running
                job.error = describe_error(exc)
                job.state = "failed"
            job.finished_at = iso(utc_now())
            self._record(job)

        self._executor.submit(work)
        return job

    def _record(self, job: Job) -> None:
        try:
            self._store.save(job)
        except Exception as exc:  # a worker thread has no caller to tell; readers see the job lapse instead
            log.error("job %s: cannot record its state %r: %s", job.id, job.state, exc)

    def get(self, job_id: str) -> Job | None:
        return self._store.get(job_id)

    def shutdown(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)
        self._store.close()
