"""A small worker pool for long service calls (background runs): submit, then poll by job id."""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from codi.artifacts.rundir import iso, utc_now

MAX_KEPT = 1000  # finished jobs remembered; the oldest are forgotten first


@dataclass(slots=True)
class Job:
    id: str
    kind: str
    state: str = "queued"  # queued | running | done | failed
    created_at: str = field(default_factory=lambda: iso(utc_now()))
    started_at: str | None = None
    finished_at: str | None = None
    result: Any = None
    error: str | None = None


class JobPool:
    """Threads run the jobs; states are kept in memory (a restart forgets them, runs stay on disk)."""

    def __init__(self, workers: int = 2) -> None:
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="codi-job")
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()

    def submit(self, kind: str, fn: Callable[[], Any], describe_error: Callable[[BaseException], str]) -> Job:
        job = Job(id=secrets.token_hex(8), kind=kind)
        with self._lock:
            self._jobs[job.id] = job
            self._forget_old()

        def work() -> None:
            job.state, job.started_at = "running", iso(utc_now())
            try:
                job.result = fn()
                job.state = "done"
            except Exception as exc:  # the job records the failure; the pool keeps running
                job.error = describe_error(exc)
                job.state = "failed"
            finally:
                job.finished_at = iso(utc_now())

        future: Future[None] = self._executor.submit(work)
        del future
        return job

    def get(self, job_id: str) -> Job | None:
        with self._lock:
            return self._jobs.get(job_id)

    def _forget_old(self) -> None:
        finished = [j for j in self._jobs.values() if j.state in ("done", "failed")]
        for job in finished[: max(0, len(self._jobs) - MAX_KEPT)]:
            del self._jobs[job.id]

    def shutdown(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)
