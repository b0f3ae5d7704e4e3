"""Prometheus text metrics: requests, latencies, runs, LLM tokens and fallbacks.

Each worker process counts in memory. With a shared folder (``codi serve --workers N``) every worker
also writes its totals to its own file there (at most once a second, and when /metrics is asked), and
``render()`` sums the files of all workers of the same server, so any worker gives the whole picture.
With the shared Postgres (``CODI_DB_URL``, codi.api.metrics_pg) the same goes for every worker of every
replica: each writes its row, and any replica's /metrics is the fleet total.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import threading
import time
from collections import defaultdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from codi.atomic import atomic_write_text
from codi.service.statedb import StateDBError
from codi.telemetry.pids import pid_alive

if TYPE_CHECKING:
    from codi.api.metrics_pg import SharedMetrics

# Latency histogram buckets, in seconds.
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
FLUSH_SECONDS = 1.0
TOUCH_S = 60.0  # an idle process still rewrites its row this often: a row silent much longer is a stopped one
RETIRE_CHECK_S = 60.0
log = logging.getLogger("codi.api")

Snapshot = dict[str, Any]


def _labels(**labels: str) -> str:
    parts = []
    for name, value in sorted(labels.items()):
        escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
        parts.append(f'{name}="{escaped}"')
    return "{" + ",".join(parts) + "}"


def empty() -> Snapshot:
    return {"requests": {}, "latency": {}, "runs": {}, "llm_tokens": {}, "llm_calls": 0, "llm_fallbacks": 0}


def add(total: Snapshot, part: Snapshot) -> None:
    """Add the counters of ``part`` into ``total``."""
    for name in ("requests", "runs", "llm_tokens"):
        for key, n in part.get(name, {}).items():
            total[name][key] = total[name].get(key, 0) + int(n)
    for route, lat in part.get("latency", {}).items():
        mine = total["latency"].setdefault(route, {"sum": 0.0, "count": 0, "buckets": [0] * len(BUCKETS)})
        mine["sum"] += float(lat["sum"])
        mine["count"] += int(lat["count"])
        mine["buckets"] = [a + int(b) for a, b in zip(mine["buckets"], lat["buckets"], strict=True)]
    total["llm_calls"] += int(part.get("llm_calls", 0))
    total["llm_fallbacks"] += int(part.get("llm_fallbacks", 0))


class Metrics:
    """Thread-safe counters; ``render()`` gives the exposition text.

    ``folder``/``instance``: where this worker writes ``metrics-<instance>-<pid>.json`` and whose
    ``metrics-<instance>-*.json`` files it sums (one instance = one `codi serve`). ``shared``: the
    Postgres rows of every replica instead (then ``folder`` is not used).
    """

    def __init__(self, folder: Path | None = None, instance: str | None = None,
                 shared: SharedMetrics | None = None) -> None:
        self._lock = threading.Lock()
        self.requests: dict[tuple[str, str, str], int] = defaultdict(int)  # (method, route, status)
        self.latency_sum: dict[str, float] = defaultdict(float)
        self.latency_count: dict[str, int] = defaultdict(int)
        self.latency_buckets: dict[str, list[int]] = defaultdict(lambda: [0] * len(BUCKETS))
        self.runs: dict[str, int] = defaultdict(int)  # outcome -> count
        self.llm_tokens: dict[str, int] = defaultdict(int)  # prompt / completion
        self.llm_fallbacks = 0
        self.llm_calls = 0
        self.folder = folder
        self.shared = shared
        # Without a name from `codi serve`, this object is its own instance (in-process apps never mix).
        self.instance = instance or f"p{os.getpid()}x{secrets.token_hex(4)}"
        self._dirty = False
        self._written_at = 0.0  # time.monotonic() of the last write to the shared database
        self._flush_lock = threading.Lock()
        self._stop = threading.Event()
        self._flusher: threading.Thread | None = None

    # -- counting -------------------------------------------------------------------------------------
    def observe_request(self, method: str, route: str, status: int, seconds: float) -> None:
        with self._lock:
            self.requests[(method, route, str(status))] += 1
            self.latency_sum[route] += seconds
            self.latency_count[route] += 1
            buckets = self.latency_buckets[route]
            for i, bound in enumerate(BUCKETS):
                if seconds <= bound:
                    buckets[i] += 1
            self._dirty = True

    def observe_run(self, outcome: str) -> None:
        with self._lock:
            self.runs[outcome] += 1
            self._dirty = True

    def observe_llm(self, llm_metrics: dict[str, object]) -> None:
        with self._lock:
            self.llm_calls += int(llm_metrics.get("calls") or 0)  # type: ignore[call-overload]
            self.llm_tokens["prompt"] += int(llm_metrics.get("prompt_tokens") or 0)  # type: ignore[call-overload]
            self.llm_tokens["completion"] += int(llm_metrics.get("completion_tokens") or 0)  # type: ignore[call-overload]
            if llm_metrics.get("fallback_reason"):
                self.llm_fallbacks += 1
            self._dirty = True

    def snapshot(self) -> Snapshot:
        with self._lock:
            return {
                "requests": {"|".join(k): n for k, n in self.requests.items()},
                "latency": {r: {"sum": self.latency_sum[r], "count": self.latency_count[r],
                                "buckets": list(self.latency_buckets[r])} for r in self.latency_count},
                "runs": dict(self.runs), "llm_tokens": dict(self.llm_tokens),
                "llm_calls": self.llm_calls, "llm_fallbacks": self.llm_fallbacks,
            }

    # -- sharing between worker processes ------------------------------------------------------------
    def _own_file(self) -> Path:
        assert self.folder is not None
        return self.folder / f"metrics-{self.instance}-{os.getpid()}.json"

    def flush(self) -> None:
        if self.shared is not None:
            self._flush_shared(self.shared)
            return
        if self.folder is None:
            return
        with self._lock:
            if not self._dirty:
                return
            self._dirty = False
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            atomic_write_text(self._own_file(), json.dumps(self.snapshot()))
        except OSError as exc:
            log.warning("metrics: cannot write %s: %s", self._own_file(), exc)

    def _flush_shared(self, shared: SharedMetrics) -> None:
        # One flush at a time (the flusher and /metrics): an older snapshot written after a newer one
        # would make the row, and the fleet's counters, go backwards for a moment.
        with self._flush_lock:
            with self._lock:
                if not self._dirty and time.monotonic() - self._written_at < TOUCH_S:
                    return
                self._dirty = False
            try:
                shared.write(self.snapshot())
            except StateDBError:
                with self._lock:
                    self._dirty = True  # written again on the next flush
                raise
            self._written_at = time.monotonic()

    def start(self) -> None:
        """Flush in the background while the server runs (an idle worker's counts still reach the others)."""
        if (self.folder is None and self.shared is None) or self._flusher is not None:
            return
        if self.shared is None:
            self._forget_dead_servers()

        def loop() -> None:
            failing, retired_at = False, float("-inf")
            while not self._stop.wait(FLUSH_SECONDS):
                try:
                    self.flush()
                    if self.shared is not None and time.monotonic() - retired_at >= RETIRE_CHECK_S:
                        retired_at = time.monotonic()
                        self.shared.retire()
                except StateDBError as exc:  # said once a streak; the counts wait in memory meanwhile
                    if not failing:
                        log.warning("metrics: cannot write to the shared database: %s", exc)
                    failing = True
                else:
                    failing = False

        self._flusher = threading.Thread(target=loop, name="codi-metrics", daemon=True)
        self._flusher.start()

    def stop(self) -> None:
        self._stop.set()
        try:
            self.flush()
        except StateDBError as exc:
            log.warning("metrics: the last counts of this process are lost: %s", exc)

    def _forget_dead_servers(self) -> None:
        """Files of earlier servers whose process is gone (their counters ended with them)."""
        assert self.folder is not None
        for path in self.folder.glob("metrics-*.json"):
            pid = path.stem.rsplit("-", 1)[-1]
            if path.stem.startswith(f"metrics-{self.instance}-") or not pid.isdigit() or pid_alive(int(pid)):
                continue
            try:
                path.unlink()
            except OSError:
                pass

    def combined(self) -> Snapshot:
        """This server's counters: every worker's file (this one's freshly written), or only ours; with the
        shared database, every replica's (StateDBError when it is unreachable: no partial total)."""
        if self.shared is not None:
            self.flush()
            return self.shared.total()
        if self.folder is None:
            return self.snapshot()
        self.flush()
        total = empty()
        own = self._own_file()
        add(total, self.snapshot())
        for path in sorted(self.folder.glob(f"metrics-{self.instance}-*.json")):
            if path == own:
                continue
            try:
                add(total, json.loads(path.read_text(encoding="utf-8")))
            except (OSError, ValueError, KeyError, TypeError) as exc:  # a half-gone worker: skip its file
                log.warning("metrics: skipping %s: %s", path.name, exc)
        return total

    # -- exposition -------------------------------------------------------------------------------------
    def render(self) -> str:
        return render(self.combined())


def render(snap: Snapshot) -> str:
    out = ["# HELP codi_http_requests_total HTTP requests by method, route and status.",
           "# TYPE codi_http_requests_total counter"]
    for key, n in sorted(snap["requests"].items()):
        method, route, status = key.split("|", 2)
        out.append(f"codi_http_requests_total{_labels(method=method, route=route, status=status)} {n}")
    out += ["# HELP codi_http_request_duration_seconds Request latency by route.",
            "# TYPE codi_http_request_duration_seconds histogram"]
    for route, lat in sorted(snap["latency"].items()):
        for bound, n in zip(BUCKETS, lat["buckets"], strict=True):
            out.append(f"codi_http_request_duration_seconds_bucket{_labels(route=route, le=str(bound))} {n}")
        count = lat["count"]
        out.append(f"codi_http_request_duration_seconds_bucket{_labels(route=route, le='+Inf')} {count}")
        out.append(f"codi_http_request_duration_seconds_sum{_labels(route=route)} {lat['sum']:.6f}")
        out.append(f"codi_http_request_duration_seconds_count{_labels(route=route)} {count}")
    runs = snap["runs"]
    out += ["# HELP codi_runs_total Runs by outcome.", "# TYPE codi_runs_total counter"]
    for outcome in ("ok", "failed", *sorted(set(runs) - {"ok", "failed"})):
        out.append(f"codi_runs_total{_labels(outcome=outcome)} {runs.get(outcome, 0)}")
    out += ["# HELP codi_llm_tokens_total Model tokens by kind.", "# TYPE codi_llm_tokens_total counter"]
    for kind in ("prompt", "completion"):
        out.append(f"codi_llm_tokens_total{_labels(kind=kind)} {snap['llm_tokens'].get(kind, 0)}")
    out += ["# HELP codi_llm_calls_total Model generations.", "# TYPE codi_llm_calls_total counter",
            f"codi_llm_calls_total {snap['llm_calls']}",
            "# HELP codi_llm_fallbacks_total Assist calls that fell back to deterministic output.",
            "# TYPE codi_llm_fallbacks_total counter", f"codi_llm_fallbacks_total {snap['llm_fallbacks']}"]
    return "\n".join(out) + "\n"
