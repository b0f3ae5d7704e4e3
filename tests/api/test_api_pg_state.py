"""Replicas of `codi serve` sharing one Postgres (CODI_DB_URL): jobs and metrics seen from any replica.

Each replica here is a create_app() with its own runs root and state folder, as on another host; only
the database is common.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
from apikit import KEY, make_settings
from fastapi.testclient import TestClient

from codi.api.app import create_app
from codi.api.settings import ApiSettings
from codi.config.dburl import DBURLError
from codi.service.statedb import StateDB, StateDBError

LINT = 'codi_http_requests_total{method="POST",route="/lint",status="200"}'


def _replica(tmp_path: Path, roots: dict[str, Path], name: str, url: str) -> ApiSettings:
    settings = make_settings({**roots, "runs": tmp_path / name / "runs"})
    settings.state_dir, settings.db_url = tmp_path / name / "state", url
    return settings


@pytest.fixture
def replicas(tmp_path: Path, roots: dict[str, Path], pg_url: str) -> Iterator[tuple[TestClient, TestClient]]:
    with ExitStack() as stack:
        clients = []
        for name in ("a", "b"):
            client = stack.enter_context(TestClient(create_app(_replica(tmp_path, roots, name, pg_url))))
            client.headers["Authorization"] = f"Bearer {KEY}"
            clients.append(client)
        yield clients[0], clients[1]


def _free_port() -> int:
    """A loopback port nothing listens on (yet)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _count(text: str, prefix: str) -> int:
    return next((int(line.split()[-1]) for line in text.splitlines() if line.startswith(prefix)), 0)


def _eventually(check: Callable[[], bool], seconds: float = 5) -> bool:
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def _poll(client: TestClient, job_url: str, until: tuple[str, ...] = ("done", "failed")) -> dict[str, object]:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        r = client.get(job_url)
        assert r.status_code == 200, r.text  # never "no job" on the replica that did not take it
        if r.json()["state"] in until:
            return dict(r.json())
        time.sleep(0.05)
    raise AssertionError(f"{job_url} did not reach {until}")


def test_a_job_submitted_on_one_replica_is_answered_by_the_other(replicas: tuple[TestClient, TestClient],
                                                                roots: dict[str, Path], tmp_path: Path) -> None:
    a, b = replicas
    r = a.post("/run?background=true", json={"project_path": str(roots["allowed"] / "pyproj"), "llm": False})
    assert r.status_code == 202, r.text
    job = _poll(b, r.json()["url"])
    assert job["state"] == "done", job
    assert job["created_at"] <= job["started_at"] <= job["finished_at"]  # type: ignore[operator]
    run_id = job["result"]["run_id"]  # type: ignore[index]
    assert (tmp_path / "a" / "runs" / run_id).is_dir()  # the run folder is where replica a ran it
    assert not (tmp_path / "a" / "state" / "jobs.sqlite").exists()  # nothing kept per host
    assert b.get("/jobs/0123456789abcdef").status_code == 404


def test_metrics_of_every_replica_are_summed_and_outlive_a_stopped_one(tmp_path: Path, roots: dict[str, Path],
                                                                        pg_url: str) -> None:
    b = TestClient(create_app(_replica(tmp_path, roots, "b", pg_url)))
    b.headers["Authorization"] = f"Bearer {KEY}"
    with b:
        with TestClient(create_app(_replica(tmp_path, roots, "a", pg_url))) as a:
            a.headers["Authorization"] = f"Bearer {KEY}"
            for client, n in ((a, 3), (b, 2)):
                for _ in range(n):
                    assert client.post("/lint", json={"dockerfile": "FROM alpine:3.20\n"}).status_code == 200
            # Each replica writes its counts at least once a second, and at once when asked for /metrics.
            assert _eventually(lambda: _count(a.get("/metrics").text, LINT) == 5)
            assert _count(b.get("/metrics").text, LINT) == 5
        # Replica a stopped: its counts stay in the total (a counter never goes backwards).
        assert b.post("/lint", json={"dockerfile": "FROM alpine:3.20\n"}).status_code == 200
        assert _count(b.get("/metrics").text, LINT) == 6


def test_retired_rows_keep_the_total_and_a_returning_process_does_not_count_twice(pg_url: str) -> None:
    from codi.api.metrics import Metrics
    from codi.api.metrics_pg import SharedMetrics

    db = StateDB(pg_url)
    try:
        gone, live = Metrics(shared=SharedMetrics(db)), Metrics(shared=SharedMetrics(db))
        gone.observe_run("ok")
        live.observe_run("ok")
        live.observe_run("failed")
        gone.flush()
        live.flush()
        assert 'codi_runs_total{outcome="ok"} 2' in live.render()
        assert SharedMetrics(db, retire_after_s=0).retire() == 2  # both rows folded into 'retired'
        rows = db.run(lambda c: c.execute("SELECT process FROM api_metrics").fetchall())
        assert rows == [("retired",)]
        live.observe_run("ok")  # its row is gone: it writes only what it counted since
        text = live.render()
        assert 'codi_runs_total{outcome="ok"} 3' in text and 'codi_runs_total{outcome="failed"} 1' in text
    finally:
        db.close()


def test_a_job_of_a_replica_that_died_is_failed_by_another(tmp_path: Path, roots: dict[str, Path], pg_url: str,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    script = (
        "import os, sys, time\n"
        "from codi.service.jobs import JobPool\n"
        "from codi.service.jobs_pg import PgJobs\n"
        "from codi.service.statedb import StateDB\n"
        f"pool = JobPool(1, store=PgJobs(StateDB({pg_url!r})))\n"
        "job = pool.submit('run', lambda: time.sleep(60), str)\n"
        "while pool.get(job.id).state != 'running': time.sleep(0.01)\n"
        "print(job.id, os.getpid(), flush=True)\n"
        "os._exit(0)\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True)
    job_id, pid = out.stdout.split()
    import codi.service.jobs_pg as jobs_pg

    monkeypatch.setattr(jobs_pg, "LEASE_S", 1.0)
    with TestClient(create_app(_replica(tmp_path, roots, "b", pg_url))) as b:
        b.headers["Authorization"] = f"Bearer {KEY}"
        job = _poll(b, f"/jobs/{job_id}", until=("failed",))
    assert f"pid {pid}) stopped" in str(job["error"]) and "no heartbeat" in str(job["error"])


def test_a_live_job_is_kept_alive_and_a_lapsed_one_stays_failed(pg_url: str) -> None:
    from codi.service.jobs import JobPool
    from codi.service.jobs_pg import PgJobs

    db = StateDB(pg_url)
    release = threading.Event()
    beating = JobPool(1, store=PgJobs(db, lease_s=1.0, heartbeat_s=0.1))
    silent = JobPool(1, store=PgJobs(db, lease_s=1.0, heartbeat_s=3600))  # a replica cut off from the database
    try:
        alive = beating.submit("run", lambda: release.wait(30) and {"ok": True}, str)
        lapsing = silent.submit("run", lambda: release.wait(30) and {"ok": True}, str)
        time.sleep(2.0)  # twice the lease
        assert beating.get(alive.id).state == "running"  # type: ignore[union-attr]
        failed = beating.get(lapsing.id)
        assert failed is not None and failed.state == "failed" and "no heartbeat for 1 s" in (failed.error or "")
        release.set()
        deadline = time.monotonic() + 20
        while beating.get(alive.id).state != "done" and time.monotonic() < deadline:  # type: ignore[union-attr]
            time.sleep(0.05)
        assert beating.get(alive.id).result == {"ok": True}  # type: ignore[union-attr]
        time.sleep(0.3)
        late = silent.get(lapsing.id)
        assert late is not None and late.state == "failed"  # its late result does not undo what clients saw
    finally:
        release.set()
        beating.shutdown()
        silent.shutdown()
        db.close()


def test_jobs_left_queued_by_a_stopping_replica_fail_at_once(pg_url: str) -> None:
    from codi.service.jobs import JobPool
    from codi.service.jobs_pg import PgJobs

    db = StateDB(pg_url)
    release = threading.Event()
    pool = JobPool(1, store=PgJobs(db))
    try:
        first = pool.submit("run", lambda: release.wait(30), str)
        queued = pool.submit("run", lambda: 1, str)
        while pool.get(first.id).state != "running":  # type: ignore[union-attr]
            time.sleep(0.01)
        threading.Timer(0.3, release.set).start()
        pool.shutdown()
        left = JobPool(1, store=PgJobs(db)).get(queued.id)
        assert left is not None and left.state == "failed" and "stopped before running it" in (left.error or "")
    finally:
        release.set()
        db.close()


def test_the_schema_is_migrated_once_and_recorded(pg_url: str) -> None:
    from codi.service.statedb import SCHEMA_VERSION, schema_version

    assert schema_version(pg_url) == 0
    StateDB(pg_url).close()
    StateDB(pg_url).close()  # a second replica: nothing to do
    assert schema_version(pg_url) == SCHEMA_VERSION
    db = StateDB(pg_url)
    try:
        assert db.run(lambda c: c.execute("SELECT count(*) FROM api_migrations").fetchone()) == (SCHEMA_VERSION,)
    finally:
        db.close()


def test_a_newer_schema_stops_the_start(pg_url: str, tmp_path: Path, roots: dict[str, Path]) -> None:
    db = StateDB(pg_url)
    db.run(lambda c: c.execute("INSERT INTO api_migrations (version) VALUES (99)"))
    db.close()
    with pytest.raises(StateDBError, match="schema v99 is newer"):
        create_app(_replica(tmp_path, roots, "a", pg_url))


def test_an_unusable_db_url_stops_the_start_plainly(tmp_path: Path, roots: dict[str, Path],
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(DBURLError, match="only postgresql://"):
        ApiSettings.from_env({"CODI_DB_URL": "mysql://u:secret@db/codi"})
    with pytest.raises(DBURLError, match=r"mysql://u:\*\*\*@db/codi"):
        create_app(_replica(tmp_path, roots, "a", "mysql://u:secret@db/codi"))
    with pytest.raises(StateDBError, match="cannot connect") as err:
        create_app(_replica(tmp_path, roots, "a", f"postgresql://u:secret@127.0.0.1:{_free_port()}/codi"))
    assert "secret" not in str(err.value)
    monkeypatch.setitem(sys.modules, "psycopg", None)  # the codi[postgres] extra not installed
    with pytest.raises(StateDBError, match=r"psycopg is not installed \(pip install 'codi\[postgres\]'\)"):
        create_app(_replica(tmp_path, roots, "a", "postgresql://127.0.0.1/codi"))


def test_codi_serve_refuses_an_unusable_db_url_in_one_line(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CODI_")}
    for url, status, said in (("sqlite:///x.db", 2, "only postgresql://"),
                              ("postgresql://u:pw@127.0.0.1:1/codi", 1, "cannot connect")):
        r = subprocess.run([sys.executable, "-m", "codi", "serve", "--port", "1"], capture_output=True, text=True,
                           env={**env, "CODI_DB_URL": url}, cwd=tmp_path, timeout=60)
        assert r.returncode == status, r.stderr
        assert said in r.stderr and "Traceback" not in r.stderr and ":pw@" not in r.stderr


def test_a_real_codi_serve_and_another_replica_share_metrics(tmp_path: Path, roots: dict[str, Path],
                                                               pg_url: str) -> None:
    import httpx
    from proctools import stop, wait_healthy

    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CODI_")}
    env.update(CODI_API_KEY=KEY, CODI_ALLOWED_ROOTS=str(roots["allowed"]), CODI_OUTPUT_ROOT=str(tmp_path / "served"),
               CODI_DB_URL=pg_url, LLM_ENABLED="false")
    proc = subprocess.Popen([sys.executable, "-m", "codi", "serve", "--port", str(port), "--log-level", "warning"],
                            cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        url = f"http://127.0.0.1:{port}"
        assert wait_healthy(url, 60), "codi serve with CODI_DB_URL did not become healthy"
        for _ in range(3):
            r = httpx.post(url + "/lint", json={"dockerfile": "FROM alpine:3.20\n"}, headers={"X-API-Key": KEY})
            assert r.status_code == 200
        with TestClient(create_app(_replica(tmp_path, roots, "b", pg_url))) as b:
            b.headers["Authorization"] = f"Bearer {KEY}"
            assert _eventually(lambda: _count(b.get("/metrics").text, LINT) == 3), b.get("/metrics").text
    finally:
        stop(proc, 20)


def test_a_database_that_goes_away_is_a_503_and_its_return_is_picked_up(replicas: tuple[TestClient, TestClient],
                                                                         postgres: str, pg_url: str) -> None:
    import psycopg

    a, _ = replicas
    name = pg_url.rsplit("/", 1)[1]

    def allow(on: bool) -> None:
        with psycopg.connect(postgres, autocommit=True) as admin:
            admin.execute(f"ALTER DATABASE {name} ALLOW_CONNECTIONS {'true' if on else 'false'}")
            if not on:  # every replica's connection drops, as when the database restarts
                admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,))

    allow(False)
    try:
        r = a.get("/metrics")
        assert r.status_code == 503 and "shared state database is unavailable" in r.json()["error"]
        assert name not in r.text  # where the database is stays in the server log
        assert a.get("/jobs/0123456789abcdef").status_code == 503
        assert a.post("/lint", json={"dockerfile": "FROM alpine:3.20\n"}).status_code == 200
    finally:
        allow(True)
    assert a.get("/metrics").status_code == 200  # a fresh connection, no restart
    assert a.get("/jobs/0123456789abcdef").status_code == 404
