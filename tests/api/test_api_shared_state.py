"""The state worker processes share: jobs in SQLite, metrics summed over per-worker files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from codi.api.metrics import Metrics, empty
from codi.service.jobs import JobPool


def _describe(exc: BaseException) -> str:
    return f"boom: {exc}"


def _wait(pool: JobPool, job_id: str) -> str:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        job = pool.get(job_id)
        assert job is not None
        if job.state in ("done", "failed"):
            return job.state
        time.sleep(0.02)
    raise AssertionError("job did not finish")


def test_a_job_submitted_to_one_pool_is_seen_by_another(tmp_path: Path) -> None:
    db = tmp_path / "state" / "jobs.sqlite"
    a, b = JobPool(1, db), JobPool(1, db)
    try:
        ok = a.submit("run", lambda: {"run_id": "r1", "n": 3}, _describe)
        bad = a.submit("run", lambda: 1 / 0, _describe)
        assert _wait(b, ok.id) == "done" and _wait(b, bad.id) == "failed"
        seen = b.get(ok.id)
        assert seen is not None and seen.result == {"run_id": "r1", "n": 3} and seen.finished_at
        failed = b.get(bad.id)
        assert failed is not None and failed.error == "boom: division by zero"
        assert b.get("unknown") is None
    finally:
        a.shutdown()
        b.shutdown()


def test_a_result_that_cannot_be_stored_fails_the_job(tmp_path: Path) -> None:
    pool = JobPool(1, tmp_path / "jobs.sqlite")
    try:
        job = pool.submit("run", lambda: {"x": object()}, _describe)
        assert _wait(pool, job.id) == "failed"
    finally:
        pool.shutdown()


def test_a_job_whose_process_died_is_failed_not_running_forever(tmp_path: Path) -> None:
    db = tmp_path / "jobs.sqlite"
    script = (
        "import os, sys, time\n"
        "from pathlib import Path\n"
        "from codi.service.jobs import JobPool\n"
        f"pool = JobPool(1, Path({str(db)!r}))\n"
        "job = pool.submit('run', lambda: time.sleep(60), str)\n"
        "while pool.get(job.id).state != 'running': time.sleep(0.01)\n"
        "print(job.id, flush=True)\n"
        "os._exit(0)\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True)
    job = JobPool(1, db).get(out.stdout.strip())
    assert job is not None and job.state == "failed" and "stopped" in (job.error or "")


def test_old_finished_jobs_are_forgotten(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import codi.service.jobs as jobs

    monkeypatch.setattr(jobs, "MAX_KEPT", 3)
    pool = JobPool(1, tmp_path / "jobs.sqlite")
    try:
        ids = []
        for i in range(6):
            ids.append(pool.submit("run", lambda i=i: i, _describe).id)
            _wait(pool, ids[-1])
        assert pool.get(ids[0]) is None and pool.get(ids[-1]) is not None
    finally:
        pool.shutdown()


def test_metrics_sum_the_files_of_the_same_server_only(tmp_path: Path) -> None:
    mine = Metrics(tmp_path, "srvA")
    mine.observe_request("POST", "/lint", 200, 0.02)
    other = empty()
    other["requests"] = {"POST|/lint|200": 4, "GET|/runs|401": 1}
    other["latency"] = {"/lint": {"sum": 0.4, "count": 4, "buckets": [0, 0, 4] + [4] * 9}}
    other["runs"] = {"ok": 2}
    alive_pid = os.getppid()  # a live process stands for the other worker
    (tmp_path / f"metrics-srvA-{alive_pid}.json").write_text(json.dumps(other), encoding="utf-8")
    (tmp_path / f"metrics-srvB-{alive_pid}.json").write_text(json.dumps(other), encoding="utf-8")  # another server
    (tmp_path / f"metrics-srvA-{alive_pid + 1}.json").write_text("{broken", encoding="utf-8")
    text = mine.render()
    assert 'codi_http_requests_total{method="POST",route="/lint",status="200"} 5' in text
    assert 'codi_http_requests_total{method="GET",route="/runs",status="401"} 1' in text
    assert 'codi_http_request_duration_seconds_count{route="/lint"} 5' in text
    assert 'codi_http_request_duration_seconds_bucket{le="0.025",route="/lint"} 5' in text
    assert 'codi_runs_total{outcome="ok"} 2' in text
    assert (tmp_path / f"metrics-srvA-{os.getpid()}.json").is_file()  # its own counters were written for the others


def test_metrics_without_a_folder_stay_in_memory(tmp_path: Path) -> None:
    m = Metrics()
    m.observe_run("ok")
    m.flush()
    assert 'codi_runs_total{outcome="ok"} 1' in m.render()
    assert list(tmp_path.iterdir()) == []


def test_an_unusable_state_folder_still_serves(tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from codi.api.app import create_app
    from codi.api.settings import ApiSettings

    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x", encoding="utf-8")
    settings = ApiSettings(keys=[], allowed_roots=[tmp_path], runs_root=tmp_path / "runs", state_dir=blocker / "state")
    with TestClient(create_app(settings)) as client:
        assert client.post("/lint", json={"dockerfile": "FROM alpine:3.20\n"}).status_code == 200
        assert "codi_http_requests_total" in client.get("/metrics").text
