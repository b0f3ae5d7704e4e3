"""Prometheus text metrics: requests, latencies, runs, LLM tokens and fallbacks."""

from __future__ import annotations

import threading
from collections import defaultdict

# Latency histogram buckets, in seconds.
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


def _labels(**labels: str) -> str:
    parts = []
    for name, value in sorted(labels.items()):
        escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
        parts.append(f'{name}="{escaped}"')
    return "{" + ",".join(parts) + "}"


class Metrics:
    """Thread-safe counters; ``render()`` gives the exposition text."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.requests: dict[tuple[str, str, str], int] = defaultdict(int)  # (method, route, status)
        self.latency_sum: dict[str, float] = defaultdict(float)
        self.latency_count: dict[str, int] = defaultdict(int)
        self.latency_buckets: dict[str, list[int]] = defaultdict(lambda: [0] * len(BUCKETS))
        self.runs: dict[str, int] = defaultdict(int)  # outcome -> count
        self.llm_tokens: dict[str, int] = defaultdict(int)  # prompt / completion
        self.llm_fallbacks = 0
        self.llm_calls = 0

    def observe_request(self, method: str, route: str, status: int, seconds: float) -> None:
        with self._lock:
            self.requests[(method, route, str(status))] += 1
            self.latency_sum[route] += seconds
            self.latency_count[route] += 1
            buckets = self.latency_buckets[route]
            for i, bound in enumerate(BUCKETS):
                if seconds <= bound:
                    buckets[i] += 1

    def observe_run(self, outcome: str) -> None:
        with self._lock:
            self.runs[outcome] += 1

    def observe_llm(self, llm_metrics: dict[str, object]) -> None:
        with self._lock:
            self.llm_calls += int(llm_metrics.get("calls") or 0)  # type: ignore[call-overload]
            self.llm_tokens["prompt"] += int(llm_metrics.get("prompt_tokens") or 0)  # type: ignore[call-overload]
            self.llm_tokens["completion"] += int(llm_metrics.get("completion_tokens") or 0)  # type: ignore[call-overload]
            if llm_metrics.get("fallback_reason"):
                self.llm_fallbacks += 1

    def render(self) -> str:
        with self._lock:
            out = ["# HELP codi_http_requests_total HTTP requests by method, route and status.",
                   "# TYPE codi_http_requests_total counter"]
            for (method, route, status), n in sorted(self.requests.items()):
                out.append(f"codi_http_requests_total{_labels(method=method, route=route, status=status)} {n}")
            out += ["# HELP codi_http_request_duration_seconds Request latency by route.",
                    "# TYPE codi_http_request_duration_seconds histogram"]
            for route in sorted(self.latency_count):
                for bound, n in zip(BUCKETS, self.latency_buckets[route], strict=True):
                    out.append(f"codi_http_request_duration_seconds_bucket{_labels(route=route, le=str(bound))} {n}")
                count = self.latency_count[route]
                out.append(f"codi_http_request_duration_seconds_bucket{_labels(route=route, le='+Inf')} {count}")
                out.append(f"codi_http_request_duration_seconds_sum{_labels(route=route)} {self.latency_sum[route]:.6f}")
                out.append(f"codi_http_request_duration_seconds_count{_labels(route=route)} {count}")
            out += ["# HELP codi_runs_total Runs by outcome.", "# TYPE codi_runs_total counter"]
            for outcome in ("ok", "failed", *sorted(set(self.runs) - {"ok", "failed"})):
                out.append(f"codi_runs_total{_labels(outcome=outcome)} {self.runs.get(outcome, 0)}")
            out += ["# HELP codi_llm_tokens_total Model tokens by kind.", "# TYPE codi_llm_tokens_total counter"]
            for kind in ("prompt", "completion"):
                out.append(f"codi_llm_tokens_total{_labels(kind=kind)} {self.llm_tokens.get(kind, 0)}")
            out += ["# HELP codi_llm_calls_total Model generations.", "# TYPE codi_llm_calls_total counter",
                    f"codi_llm_calls_total {self.llm_calls}",
                    "# HELP codi_llm_fallbacks_total Assist calls that fell back to deterministic output.",
                    "# TYPE codi_llm_fallbacks_total counter", f"codi_llm_fallbacks_total {self.llm_fallbacks}"]
        return "\n".join(out) + "\n"
