"""`codi scan` on shared back-ends, with real components on 127.0.0.1: a throwaway Postgres (Debian's
`postgresql` package; initdb/pg_ctl, as the `postgres` user when run as root), moto's S3 server, and
the shared ShellCheck cache in that Postgres. The servers come from tests/backends.py."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from rulekit import count_shellcheck_runs

from codi.fleet.db import open_db
from codi.fleet.db_protocol import ContentRow, RepoRow, ScanRow, now
from codi.fleet.db_sqlite import SQLiteDB
from codi.fleet.scan import ScanOptions, run_scan
from codi.rules.shellcheck import cache as sc_cache
from codi.rules.shellcheck.runner import find_shellcheck
from codi.store import open_store

REPO = Path(__file__).resolve().parents[2]


def _bucket(endpoint: str) -> str:
    import boto3

    name = f"fleet-{secrets.token_hex(4)}"
    boto3.client("s3", endpoint_url=endpoint).create_bucket(Bucket=name)
    return name


@pytest.fixture
def small_fleet(corpus: list[Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """10 repositories from the shared corpus: 5 distinct Dockerfiles, each in two repositories side by
    side (so shard 0/2 and 1/2 both hold every content)."""
    monkeypatch.setenv("CODI_CACHE_DIR", str(tmp_path / "sc-cache"))
    for name in ("CODI_SELECT", "CODI_IGNORE", "CODI_EXTEND_SELECT", "CODI_CONFIG", "CODI_CACHE_URL"):
        monkeypatch.delenv(name, raising=False)
    lines = []
    for n in range(10):
        work = tmp_path / "src" / f"repo{n:02d}"
        work.mkdir(parents=True)
        shutil.copyfile(corpus[n // 2], work / "Dockerfile")
        lines.append(str(work))
    manifest = tmp_path / "repos.txt"
    manifest.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return manifest


def _table(db: Any, scan_id: str) -> list[tuple[Any, ...]]:
    rows = db.repos(scan_id)
    contents = db.contents(sorted({r.key for r in rows if r.key}))
    return [(r.name, r.position, r.status, r.key, r.findings, r.error,
             (c.findings, c.by_rule, c.stack, c.files, c.result_uri) if (c := contents.get(r.key)) else None)
            for r in rows]


# --- Postgres -----------------------------------------------------------------------------------------


def test_postgres_schema_upserts_and_claims(pg_url: str) -> None:
    db = open_db(pg_url, Path("/unused"))
    other = open_db(pg_url, Path("/unused"))
    try:
        assert type(db).__name__ == "PostgresDB"
        assert db.ensure_schema() == [] and other.ensure_schema() == []  # type: ignore[attr-defined]
        db.start_scan(ScanRow("s1", now(), "running", "m.txt", None, 2, extra={"codi_version": "x"}))
        db.put_repo("s1", RepoRow("a", 0, "/a", "failed", error="boom"))
        db.put_repo("s1", RepoRow("a", 0, "/a", "ok", "k1", 3))  # an upsert
        assert [(r.name, r.status, r.findings, r.error) for r in other.repos("s1")] == [("a", "ok", 3, None)]
        assert db.claim("s1", ["k1", "k2"], "w1") == ["k1", "k2"]
        assert other.claim("s1", ["k2", "k3"], "w2") == ["k3"]  # k2 is w1's
        assert db.claim("s1", ["k2"], "w1") == ["k2"]  # a worker keeps its own claims
        assert other.claim("s2", ["k1"], "w2") == ["k1"]  # claims are per scan
        other.lease_s = 0.0  # type: ignore[attr-defined]  # every claim lapsed: a dead driver's work is taken
        assert other.claim("s1", ["k1"], "w2") == ["k1"]
        db.start_part("s1", "0/2", "w1", 1)
        other.start_part("s1", "1/2", "w2", 1)
        assert db.finish_part("s1", "0/2", "complete") == "running"  # 1/2 still runs
        other.put_repo("s1", RepoRow("b", 1, "/b", "cached", "k1", 3))
        assert other.finish_part("s1", "1/2", "complete") == "complete"
        assert db.scan("s1").status == "complete"  # type: ignore[union-attr]
    finally:
        db.close()
        other.close()


def test_two_shards_share_one_postgres_scan_without_double_work(small_fleet: Path, tmp_path: Path,
                                                                pg_url: str) -> None:
    """Two `codi scan --shard i/2 --scan-id shared` processes started at once: one creates the scan, the
    other joins it, every content is linted by one of them only, and the scan ends complete."""
    env = {**os.environ, "CODI_CACHE_DIR": str(tmp_path / "sc-cache")}
    procs = [subprocess.Popen(
        [sys.executable, "-m", "codi", "scan", "--manifest", str(small_fleet), "--out", str(tmp_path / "out"),
         "--db", pg_url, "--scan-id", "shared", "--shard", f"{i}/2", "--jobs", "1", "--json"],
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for i in range(2)]
    outputs = []
    for proc in procs:
        stdout, stderr = proc.communicate(timeout=300)
        assert proc.returncode == 0, stderr
        outputs.append(json.loads(stdout))
    repos = [r for out in outputs for r in out["repos"]]
    assert sorted(r["name"] for r in repos) == [f"repo{n:02d}" for n in range(10)]
    keys = {r["key"] for r in repos}
    assert len(keys) == 5
    linted = sorted(r["key"] for r in repos if r["status"] == "ok")
    assert linted == sorted(keys)  # each content linted once, by one shard or the other
    db = open_db(pg_url, Path("/unused"))
    try:
        assert {r.name: r.status for r in db.repos("shared")} == {r["name"]: r["status"] for r in repos}
        assert db.scan("shared").status == "complete"  # type: ignore[union-attr]
        assert "complete" in {out["scan_status"] for out in outputs}  # whichever finished last saw it whole
    finally:
        db.close()


def test_content_claimed_by_another_driver_is_waited_for_and_a_lapsed_claim_is_taken(
        small_fleet: Path, tmp_path: Path, pg_url: str) -> None:
    import psycopg

    from codi.fleet.keys import content_key, effective_config

    def key(n: int) -> str:
        root = tmp_path / "src" / f"repo{n:02d}"
        return content_key(effective_config(root, ["Dockerfile"]), [("Dockerfile", (root / "Dockerfile").read_bytes())])

    busy, dead = key(0), key(2)  # repo00/01 and repo02/03
    db = open_db(pg_url, Path("/unused"))
    db.start_scan(ScanRow("s", now(), "running", str(small_fleet), None, 10, extra={"codi_version": "x"}))
    assert db.claim("s", [busy, dead], "other-driver") == [busy, dead]
    with psycopg.connect(pg_url, autocommit=True) as conn:  # the dead driver's claim is long past its lease
        conn.execute("UPDATE claims SET claimed_at = '2000-01-01T00:00:00Z' WHERE key = %s", (dead,))

    def other_driver_finishes() -> None:
        time.sleep(1.5)
        late = open_db(pg_url, Path("/unused"))
        late.put_content(ContentRow(busy, 4242, {"DL3008": 4242}, "debian", 1, "elsewhere"))
        late.close()

    thread = threading.Thread(target=other_driver_finishes)
    thread.start()
    try:
        outcome = run_scan(ScanOptions(manifest=str(small_fleet), out=tmp_path / "out", db_url=pg_url, resume="s",
                                       backoff_s=0.0))
    finally:
        thread.join()
        db.close()
    by_name = {r.name: r for r in outcome.repos}
    assert outcome.status == "complete" and outcome.linted == 4  # not the busy content
    assert [(by_name[n].status, by_name[n].findings) for n in ("repo00", "repo01")] == [("cached", 4242)] * 2
    assert by_name["repo02"].status == "ok" and by_name["repo02"].findings != 4242  # taken over and linted


def test_sqlite_and_postgres_give_identical_results(small_fleet: Path, tmp_path: Path, pg_url: str) -> None:
    store = str(tmp_path / "store")
    lite = run_scan(ScanOptions(manifest=str(small_fleet), out=tmp_path / "a", db_url=f"sqlite:///{tmp_path}/f.db",
                                store_url=store, backoff_s=0.0))
    post = run_scan(ScanOptions(manifest=str(small_fleet), out=tmp_path / "b", db_url=pg_url, store_url=store,
                                backoff_s=0.0))
    assert lite.status == post.status == "complete"
    assert [r.payload() for r in lite.repos] == [r.payload() for r in post.repos]
    assert lite.linted == post.linted == 5
    sqlite, pg = SQLiteDB(tmp_path / "f.db"), open_db(pg_url, Path("/unused"))
    try:
        assert _table(sqlite, lite.scan_id) == _table(pg, post.scan_id)
        assert [s.status for s in pg.scans()] == ["complete"]
    finally:
        sqlite.close()
        pg.close()


# --- S3 -----------------------------------------------------------------------------------------------


def test_s3_store_put_get_exists_write_once(s3_endpoint: str) -> None:
    bucket = _bucket(s3_endpoint)
    store = open_store(f"s3://{bucket}/fleet/a?endpoint={s3_endpoint}", Path("/unused"))
    assert store.get("reports/x/fleet.md") is None and not store.exists("reports/x/fleet.md")
    store.put("reports/x/fleet.md", b"one")
    store.put("reports/x/fleet.md", b"two")  # reports are replaced
    assert store.get("reports/x/fleet.md") == b"two" and store.exists("reports/x/fleet.md")
    store.put("results/ab/abc.json", b"first")
    store.put("results/ab/abc.json", b"second")  # content-keyed objects are write-once
    assert store.get("results/ab/abc.json") == b"first"
    assert store.locate("results/ab/abc.json") == f"s3://{bucket}/fleet/a/results/ab/abc.json"
    with pytest.raises(Exception, match="bad store key"):
        store.put("../escape", b"x")


def test_scan_with_an_s3_store(small_fleet: Path, tmp_path: Path, s3_endpoint: str,
                               monkeypatch: pytest.MonkeyPatch) -> None:
    bucket = _bucket(s3_endpoint)
    monkeypatch.setenv("AWS_ENDPOINT_URL", s3_endpoint)  # the endpoint from the environment this time
    url = f"s3://{bucket}/scans"
    outcome = run_scan(ScanOptions(manifest=str(small_fleet), out=tmp_path / "out", store_url=url, backoff_s=0.0))
    assert outcome.status == "complete" and outcome.linted == 5
    assert outcome.reports["md"] == f"s3://{bucket}/scans/reports/{outcome.scan_id}/fleet.md"
    store = open_store(url, Path("/unused"))
    md = store.get(f"reports/{outcome.scan_id}/fleet.md")
    assert md is not None and b"## Per rule" in md
    first = outcome.repos[0]
    assert first.key is not None
    result = json.loads(store.get(f"results/{first.key[:2]}/{first.key}.json") or b"{}")
    assert result["key"] == first.key and len(result["findings"]) == first.findings
    assert not (tmp_path / "out" / "_fleet" / "store").exists()  # nothing went to the local folder


# --- the shared ShellCheck cache ----------------------------------------------------------------------


@pytest.mark.skipif(find_shellcheck() is None, reason="shellcheck binary not installed")
def test_first_lint_on_a_new_runner_is_warm_from_the_shared_cache(pg_url: str, tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    from codi.service.lint import LintRequest, run_lint

    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text("FROM debian:12\nRUN cd /tmp && echo `date` $HOME\nRUN for f in $(ls /etc); do echo $f;"
                          " done\n", encoding="utf-8")
    def runner(name: str) -> list[tuple[str, int]]:
        """A lint on a fresh machine: its own empty local cache, an empty memory level."""
        monkeypatch.setenv("CODI_CACHE_DIR", str(tmp_path / name))
        sc_cache.MEMORY.clear()
        findings = run_lint(LintRequest(paths=[str(dockerfile)])).result.findings
        return [(f.code, f.line) for f in findings]

    runs = count_shellcheck_runs(monkeypatch)
    monkeypatch.setenv("CODI_CACHE_URL", pg_url)
    monkeypatch.delenv("CODI_NO_CACHE", raising=False)
    try:
        first = runner("runner-a")
        assert runs and any(code.startswith("SC") for code, _ in first)
        runs.clear()
        second = runner("runner-b")
        assert runs == [] and second == first  # warm: no ShellCheck process on runner b
        # Runner b's local cache now holds the results: it is asked first, the shared level is not needed.
        import psycopg

        with psycopg.connect(pg_url, autocommit=True) as conn:
            conn.execute("DELETE FROM shellcheck_results")
        sc_cache.MEMORY.clear()
        assert runner("runner-b") == first and runs == []
    finally:
        sc_cache.MEMORY.clear()
