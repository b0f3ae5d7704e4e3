"""``codi scan --engine ray``: the same ``lint_batch`` as the local engine, as Ray tasks.

Where it runs:

* ``RAY_ADDRESS`` set (``ray://head:10001`` through Ray Client, or ``host:6379`` / ``auto`` from
  inside a cluster, as in a KubeRay RayJob): the scan connects to that cluster with its first batch
  to lint (a warm scan, all cached, needs no cluster) and sizes its window from the cluster's CPUs.
  Nothing listening there fails the scan within seconds (exit 2).
* Ray already initialised in this process (a test, a notebook): that cluster is used as it is.
* Otherwise an in-process local cluster of ``--jobs`` CPUs is started with the first batch to lint
  (a warm scan starts none), bound to 127.0.0.1 only, with usage stats off, no dashboard, a token
  that never leaves this process's environment, and shut down when the scan ends.

What happens to a task:

* Each batch of repositories is one task of one CPU; its ShellCheck processes stay within that CPU
  (the budget the local engine's workers use). At most ``2 x CPUs`` tasks are in flight.
* A worker that dies (killed, out of memory) is retried by Ray itself (``max_retries``).
* A task that runs longer than the timeout (``CODI_SCAN_TASK_TIMEOUT`` seconds, default 900: a hung
  ShellCheck) is cancelled, which kills its worker. The clock starts when a CPU is free for the
  task, not when it is queued.
* A batch that timed out or failed for good is split and its repositories are tried once more, one
  task each, so that only the culprit is recorded as failed; the scan goes on and ends ``partial``.

Workers write results (and ``--run`` dirs) to the store; the driver alone writes the database. On a
cluster the store, the clone cache under the output root and any local repositories must be
reachable at the same path on every node (a shared volume), or the store an object store.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import sys
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from codi.fleet.engine import LintSummary, LintTask, ScanError, lint_batch

BatchFn = Callable[[list[LintTask]], list[LintSummary]]

TASK_TIMEOUT_ENV = "CODI_SCAN_TASK_TIMEOUT"
DEFAULT_TASK_TIMEOUT_S = 900.0
MAX_RETRIES = 3  # Ray's retries of a task whose worker died
CPUS_PER_TASK = 1
IN_FLIGHT_PER_CPU = 2
OBJECT_STORE_BYTES = 256 * 1024 * 1024  # results are small summaries: keep /dev/shm free
PROBE_TIMEOUT_S = 5.0  # a TCP connect to RAY_ADDRESS before Ray's own (see _probe)

# The driver's settings that change a lint result (they are in the content key), sent with each
# task; the ShellCheck cache settings too when the cluster is this machine.
LINT_ENV = ("CODI_CONFIG", "CODI_SELECT", "CODI_EXTEND_SELECT", "CODI_IGNORE", "CODI_FAILURE_THRESHOLD",
            "CODI_NO_FAIL", "CODI_TRUSTED_REGISTRIES")
CACHE_ENV = ("CODI_CACHE_DIR", "CODI_NO_CACHE", "CODI_CACHE_URL")


class RayUnavailable(ScanError):
    """Ray is not installed, or the cluster cannot be started or reached (exit 2)."""


def ray_installed() -> bool:
    from importlib.util import find_spec

    return find_spec("ray") is not None


def task_timeout() -> float:
    raw = os.environ.get(TASK_TIMEOUT_ENV, "").strip()
    if not raw:
        return DEFAULT_TASK_TIMEOUT_S
    try:
        value = float(raw)
    except ValueError:
        raise RayUnavailable(f"{TASK_TIMEOUT_ENV}={raw!r}: expected a number of seconds") from None
    if value <= 0:
        raise RayUnavailable(f"{TASK_TIMEOUT_ENV}={raw!r}: expected more than 0 seconds")
    return value


def _loopback_environment() -> None:
    """Environment for a local cluster that listens on 127.0.0.1 only and reports nothing.

    Ray resolves 127.0.0.1 to the machine's address unless clusters are "disabled" (its macOS and
    Windows mode, where every server binds the loopback address). Ray reads that, and the token
    authentication mode, when it is imported: set before the first import; if Ray was imported
    already, the address setting is applied to the loaded module and Ray picks the token itself.
    """
    os.environ["RAY_USAGE_STATS_ENABLED"] = "0"
    os.environ["RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"] = "0"
    if "ray" in sys.modules:
        from ray._private import ray_constants

        ray_constants.ENABLE_RAY_CLUSTER = False
    elif "RAY_AUTH_MODE" not in os.environ and "RAY_AUTH_TOKEN" not in os.environ:
        # Token authentication, with a token that lives in this process and its children only
        # (Ray's default writes one to ~/.ray/auth_token).
        os.environ["RAY_AUTH_MODE"] = "token"
        os.environ["RAY_AUTH_TOKEN"] = secrets.token_hex(32)


def start_local_cluster(num_cpus: int) -> None:
    """Start an in-process Ray cluster of ``num_cpus`` CPUs on 127.0.0.1 (stop it with ``ray.shutdown()``)."""
    _loopback_environment()
    import ray

    ray.init(address="local", num_cpus=max(num_cpus, 1), include_dashboard=False,
             _node_ip_address="127.0.0.1", object_store_memory=OBJECT_STORE_BYTES,
             log_to_driver=False, logging_level=logging.WARNING)


def _probe(address: str) -> None:
    """Raise OSError at once when nothing listens at ``host:port`` or ``ray://host:port``.

    Ray's own connect retries a closed GCS port for about 14 minutes (20 tries of ~40 s each) and a
    closed Ray Client port for 30 s before it gives up. Other forms (``auto``) are left to Ray.
    """
    host, sep, port = address.removeprefix("ray://").rpartition(":")
    if not sep or not host or not port.isdigit() or "/" in host:
        return
    with socket.create_connection((host.strip("[]"), int(port)), timeout=PROBE_TIMEOUT_S):
        pass


def _run_batch(fn: BatchFn, tasks: list[LintTask]) -> list[LintSummary]:
    """The Ray task: ``fn`` over the batch, ShellCheck within this task's CPU."""
    from codi.rules.shellcheck.runner import set_job_budget

    set_job_budget(CPUS_PER_TASK)
    here = [t for t in tasks if Path(t.root).is_dir()]
    done = iter(fn(here) if here else [])
    node = socket.gethostname()
    out = []
    for task in tasks:
        if Path(task.root).is_dir():
            out.append(next(done))
        else:
            out.append(LintSummary(task.key, error=f"{task.root}: not found on Ray node {node} (mount the "
                                                    "output root and local repositories at the same path "
                                                    "on every node)"))
    return out


@dataclass(slots=True)
class _Flight:
    batch: list[LintTask]
    single: bool = False  # a repository of a failed batch, tried once more on its own
    started: float | None = None  # when a CPU was free for it (monotonic)


class RayEngine:
    """Batches of repositories as Ray tasks on a local or remote cluster (see the module text)."""

    def __init__(self, jobs: int, *, batch_fn: BatchFn = lint_batch, timeout_s: float | None = None,
                 max_retries: int = MAX_RETRIES) -> None:
        if not ray_installed():
            raise RayUnavailable("--engine ray needs Ray: pip install 'codi[ray]'")
        self.timeout_s = task_timeout() if timeout_s is None else timeout_s
        self._fn = batch_fn
        self._started = False
        self._pending: dict[Any, _Flight] = {}
        self._max_retries = max_retries
        self._remote: Any = None
        self._address = os.environ.get("RAY_ADDRESS", "").strip() or None
        self.remote = self._address is not None
        if "ray" not in sys.modules and not self.remote:
            _loopback_environment()
        import ray

        # A cluster is reached (or started) with the first batch to lint, so a warm scan (all cached)
        # needs none; the window is then sized from the cluster's CPUs (_size).
        self.jobs = max(jobs, 1)
        self.window = self.jobs * IN_FLIGHT_PER_CPU // CPUS_PER_TASK
        if ray.is_initialized():  # a test's or a notebook's cluster, already there
            self._connect()

    def _size(self, fallback: int) -> None:
        import ray

        self.jobs = max(int(ray.cluster_resources().get("CPU", fallback)), 1)
        self.window = self.jobs * IN_FLIGHT_PER_CPU // CPUS_PER_TASK

    def _connect(self) -> Any:
        """The remote function, once connected to (or having started) the cluster."""
        import ray

        if self._remote is not None:
            return self._remote
        if not ray.is_initialized():
            try:
                if self._address is not None:  # self.remote, narrowed for mypy
                    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
                    _probe(self._address)
                    ray.init(address=self._address, log_to_driver=False, logging_level=logging.WARNING)
                else:
                    start_local_cluster(self.jobs)
                    self._started = True
            except Exception as exc:  # ConnectionError, a version mismatch, a bad address
                first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
                where = f"RAY_ADDRESS={self._address}" if self.remote else "a local Ray cluster"
                raise RayUnavailable(f"--engine ray: cannot start or reach {where}: {first}") from exc
        if self.remote or not self._started:
            self._size(self.jobs)
        env_names = LINT_ENV if self.remote else LINT_ENV + CACHE_ENV
        env = {name: os.environ[name] for name in env_names if name in os.environ}
        options: dict[str, Any] = {"num_cpus": CPUS_PER_TASK, "max_retries": self._max_retries,
                                   "retry_exceptions": False, "name": "codi-lint-batch"}
        if env:
            options["runtime_env"] = {"env_vars": env}
        self._remote = ray.remote(_run_batch).options(**options)
        return self._remote

    def map(self, batches: Iterable[list[LintTask]]) -> Iterator[tuple[list[LintTask], list[LintSummary]]]:
        import ray

        source = iter(batches)
        again: deque[list[LintTask]] = deque()  # the repositories of a failed batch, one task each
        exhausted = False
        pending = self._pending
        while True:
            while len(pending) < self.window:
                if again:
                    batch, single = again.popleft(), True
                elif not exhausted:
                    nxt = next(source, None)
                    if nxt is None:
                        exhausted = True
                        continue
                    batch, single = nxt, False
                else:
                    break
                if batch:
                    pending[self._connect().remote(self._fn, batch)] = _Flight(batch, single)
            if not pending:
                return
            now = time.monotonic()
            for position, flight in enumerate(pending.values()):
                if position < self.jobs and flight.started is None:
                    flight.started = now
            deadlines = [f.started + self.timeout_s for f in pending.values() if f.started is not None]
            ready, _ = ray.wait(list(pending), num_returns=1, timeout=max(min(deadlines) - now, 0.0))
            failed: list[tuple[_Flight, str]] = []
            for ref in ready:
                flight = pending.pop(ref)
                try:
                    summaries: list[LintSummary] = ray.get(ref)
                except Exception as exc:  # the worker died more than max_retries times, or fn raised
                    text = str(exc).strip().splitlines()
                    failed.append((flight, f"worker failed: {type(exc).__name__}: {text[0] if text else ''}"))
                else:
                    yield flight.batch, summaries
            now = time.monotonic()
            for ref, flight in list(pending.items()):
                if flight.started is not None and now - flight.started >= self.timeout_s:
                    ray.cancel(ref, force=True)  # kills the worker, and the hung ShellCheck with it
                    del pending[ref]
                    failed.append((flight, f"timed out after {self.timeout_s:g}s (ray engine task timeout, "
                                           f"{TASK_TIMEOUT_ENV})"))
            for flight, error in failed:
                if not flight.single and len(flight.batch) > 1:
                    again.extend([task] for task in flight.batch)
                else:
                    yield flight.batch, [LintSummary(t.key, error=error) for t in flight.batch]

    def close(self) -> None:
        if not self._pending and not self._started:
            return
        import ray

        for ref in self._pending:  # the scan stopped early: nothing of it keeps running
            ray.cancel(ref, force=True)
        self._pending.clear()
        if self._started:
            ray.shutdown()
            self._started = False
