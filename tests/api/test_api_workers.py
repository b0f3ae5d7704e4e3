"""`codi serve --workers 2` for real: any worker answers for any job, and /metrics counts every worker.

Each request goes on a fresh connection, so the two worker processes share them out between them.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from apikit import KEY, REPO
from proctools import wait_healthy

HEADERS = {"X-API-Key": KEY}
LIFETIME_S = 240  # the server is killed after this whatever happens to the test


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    base = tmp_path_factory.mktemp("workers")
    shutil.copytree(REPO / "demo" / "python", base / "proj")
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CODI_")}
    env.update(CODI_API_KEY=KEY, CODI_ALLOWED_ROOTS=str(base), CODI_OUTPUT_ROOT=str(base / "runs"), LLM_ENABLED="false")
    proc = subprocess.Popen([sys.executable, "-m", "codi", "serve", "--port", str(port), "--workers", "2",
                             "--log-level", "warning"], cwd=base, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    watchdog = threading.Timer(LIFETIME_S, lambda: os.killpg(proc.pid, signal.SIGKILL))
    watchdog.daemon = True
    watchdog.start()
    url = f"http://127.0.0.1:{port}"
    try:
        if not wait_healthy(url, 60):
            pytest.fail("codi serve --workers 2 did not become healthy in 60 s")
        yield url, base
    finally:
        watchdog.cancel()
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def _fresh(method: str, url: str, **kw: object) -> httpx.Response:
    with httpx.Client(headers=HEADERS, timeout=60) as client:  # a new connection: either worker may take it
        return client.request(method, url, **kw)  # type: ignore[arg-type]


def _route_counts(state: Path, route: str) -> dict[str, int]:
    """Requests per worker file for one route (the files the workers share their counters through)."""
    out = {}
    for path in state.glob("metrics-*.json"):
        data = json.loads(path.read_text(encoding="utf-8"))
        out[path.stem] = sum(n for key, n in data["requests"].items() if key.split("|")[1] == route)
    return out


def test_any_worker_answers_for_a_background_job(served: tuple[str, Path]) -> None:
    url, base = served
    r = _fresh("POST", url + "/run?background=true", json={"project_path": str(base / "proj"), "llm": False})
    assert r.status_code == 202, r.text
    job_url = url + r.json()["url"]
    states = []
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        polled = _fresh("GET", job_url)
        assert polled.status_code == 200, polled.text  # never "unknown job" from the other worker
        states.append(polled.json()["state"])
        if states[-1] in ("done", "failed") and len(states) >= 40:
            break
        time.sleep(0.02)
    assert states[-1] == "done", polled.json()
    run_id = polled.json()["result"]["run_id"]
    assert _fresh("GET", f"{url}/runs/{run_id}").status_code == 200
    assert _fresh("GET", url + "/jobs/0123456789abcdef").status_code == 404
    time.sleep(1.5)  # each worker writes its counters at least once a second
    per_worker = _route_counts(base / "runs" / ".codi-state", "/jobs/{job_id}")
    answered = [name for name, n in per_worker.items() if n > 0]
    assert len(answered) == 2, per_worker  # both workers answered polls, and every poll was a 200


def test_metrics_sum_every_worker(served: tuple[str, Path]) -> None:
    url, base = served
    n = 30
    for _ in range(n):
        assert _fresh("POST", url + "/lint", json={"dockerfile": "FROM alpine:3.20\n"}).status_code == 200
    time.sleep(1.5)
    line = 'codi_http_requests_total{method="POST",route="/lint",status="200"}'
    for _ in range(6):  # whichever worker answers /metrics, it reports all of them
        text = _fresh("GET", url + "/metrics").text
        count = next(int(x.split()[-1]) for x in text.splitlines() if x.startswith(line))
        assert count == n, text
    per_worker = _route_counts(base / "runs" / ".codi-state", "/lint")
    assert sum(per_worker.values()) == n
    assert len([v for v in per_worker.values() if v]) == 2, per_worker  # the count really spans two processes
