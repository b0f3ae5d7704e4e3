"""API jobs in the shared Postgres (``CODI_DB_URL``): every replica answers for every job.

Liveness across hosts: a pid means nothing on another host, so the process that holds a job (queued
or running) beats the job's ``heartbeat_at`` every ``HEARTBEAT_S`` seconds, by the database's clock.
A job whose heartbeat is older than ``LEASE_S`` is declared failed by whichever replica reads it
first, and stays failed: the owner's late outcome is not written over it (a client that saw it fail
may already have submitted it again). A replica that stops cleanly fails the jobs it never started.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from codi.artifacts.rundir import iso
from codi.service.jobs import FINISHED, Job
from codi.service.statedb import StateDB, StateDBError

if TYPE_CHECKING:
    import psycopg

HEARTBEAT_S = 5.0
LEASE_S = 30.0  # six missed beats: a replica this late is gone (or cut off, which clients cannot tell apart)
HOST = socket.gethostname()
_LAPSED = "heartbeat_at < now() - make_interval(secs => %(lease)s)"
_COLUMNS = "id, kind, state, created_at, started_at, finished_at, result, error, pid"
log = logging.getLogger("codi.api")


def _iso(ts: datetime | None) -> str | None:
    return None if ts is None else iso(ts.astimezone(UTC))


def _json(value: Any) -> Any:
    from psycopg.types.json import Jsonb

    return None if value is None else Jsonb(value)


class PgJobs:
    """The job store of one server process; ``lease_s``/``heartbeat_s`` default to the module's values."""

    def __init__(self, db: StateDB, lease_s: float | None = None, heartbeat_s: float | None = None) -> None:
        self.db = db
        self.lease_s = LEASE_S if lease_s is None else lease_s
        self.heartbeat_s = HEARTBEAT_S if heartbeat_s is None else heartbeat_s
        self.pid = os.getpid()
        self._held: set[str] = set()  # this process's queued and running jobs
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._beating = threading.Thread(target=self._beat_loop, name="codi-job-heartbeat", daemon=True)
        self._beating.start()

    def add(self, job: Job, keep: int) -> None:
        params = {"id": job.id, "kind": job.kind, "state": job.state, "host": HOST, "pid": self.pid, "keep": keep,
                  "lease": self.lease_s}

        def insert(conn: psycopg.Connection[Any]) -> datetime:
            row = conn.execute("INSERT INTO api_jobs (id, kind, state, host, pid) VALUES (%(id)s, %(kind)s,"
                               " %(state)s, %(host)s, %(pid)s) ON CONFLICT (id) DO UPDATE SET kind = excluded.kind"
                               " RETURNING created_at", params).fetchone()
            # Forget the oldest beyond ``keep``: finished ones, and lapsed ones nobody asked about since.
            conn.execute("DELETE FROM api_jobs WHERE seq <= (SELECT MAX(seq) FROM api_jobs) - %(keep)s AND"
                         f" (state IN ('done', 'failed') OR {_LAPSED})", params)
            assert row is not None
            return row[0]  # type: ignore[no-any-return]

        created = self.db.run(insert)
        job.created_at, job.pid = iso(created.astimezone(UTC)), self.pid
        with self._lock:
            self._held.add(job.id)

    def save(self, job: Job) -> None:
        params = {"id": job.id, "state": job.state, "result": _json(job.result), "error": job.error}
        try:
            row = self.db.run(lambda conn: conn.execute(
                "UPDATE api_jobs SET state = %(state)s, result = %(result)s, error = %(error)s, heartbeat_at = now(),"
                " started_at = COALESCE(started_at, now()),"
                " finished_at = CASE WHEN %(state)s IN ('done', 'failed') THEN now() END"
                " WHERE id = %(id)s AND state IN ('queued', 'running') RETURNING started_at, finished_at",
                params).fetchone())
        finally:
            if job.state in FINISHED:
                with self._lock:
                    self._held.discard(job.id)
        if row is None:
            log.warning("job %s was declared failed (its heartbeat lapsed) before it was %s; that is not recorded",
                        job.id, job.state)
            return
        job.started_at, job.finished_at = _iso(row[0]), _iso(row[1])

    def get(self, job_id: str) -> Job | None:
        params = {"id": job_id, "lease": self.lease_s,
                  "why": f"the replica that ran this job (host %s, pid %s) stopped: no heartbeat for {self.lease_s:g} s"}

        def read(conn: psycopg.Connection[Any]) -> Any:
            conn.execute("UPDATE api_jobs SET state = 'failed', finished_at = now(), error = format(%(why)s, host, pid)"
                         f" WHERE id = %(id)s AND state IN ('queued', 'running') AND {_LAPSED}", params)
            return conn.execute(f"SELECT {_COLUMNS} FROM api_jobs WHERE id = %(id)s", params).fetchone()

        row = self.db.run(read)
        if row is None:
            return None
        return Job(row[0], row[1], row[2], iso(row[3].astimezone(UTC)), _iso(row[4]), _iso(row[5]), row[6], row[7],
                   row[8])

    # -- liveness -------------------------------------------------------------------------------------
    def _beat_loop(self) -> None:
        failing = False
        while not self._stop.wait(self.heartbeat_s):
            with self._lock:
                held = sorted(self._held)
            if not held:
                continue
            try:
                self._beat(held)
            except StateDBError as exc:  # said once a streak; past the lease, other replicas fail our jobs
                if not failing:
                    log.warning("jobs: heartbeat failed (%s); retrying every %g s", exc, self.heartbeat_s)
                failing = True
            else:
                failing = False

    def _beat(self, held: list[str]) -> None:
        self.db.run(lambda conn: conn.execute(
            "UPDATE api_jobs SET heartbeat_at = now() WHERE id = ANY(%s) AND state IN ('queued', 'running')",
            (held,)))

    def close(self) -> None:
        """Stop beating; the jobs this process still holds (never started: the pool is shut down) fail now."""
        self._stop.set()
        self._beating.join(timeout=self.heartbeat_s + 5)
        with self._lock:
            held, self._held = sorted(self._held), set()
        if not held:
            return
        why = f"the replica that held this job (host {HOST}, pid {self.pid}) stopped before running it"
        try:
            self.db.run(lambda conn: conn.execute(
                "UPDATE api_jobs SET state = 'failed', finished_at = now(), error = %s"
                " WHERE id = ANY(%s) AND state IN ('queued', 'running')", (why, held)))
        except StateDBError as exc:
            log.warning("jobs: cannot fail %d job(s) left queued (%s); they lapse in %g s", len(held), exc,
                        self.lease_s)
