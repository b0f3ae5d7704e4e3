"""`codi scan --engine ray` on a real local Ray cluster started in this process (2 CPUs, 127.0.0.1):
the same results as the local engine, a killed worker retried by Ray, a hung task timed out."""

from __future__ import annotations

import functools
import os
import signal
import sys
import time
from collections.abc import Iterator
from importlib.util import find_spec
from pathlib import Path
from typing import Any

import pytest
from fleetkit import corpus_repos, write_manifest

from codi.fleet import scan as fleet_scan
from codi.fleet.db_sqlite import SQLiteDB
from codi.fleet.engine import LintSummary, LintTask, lint_batch
from codi.fleet.scan import ScanOptions, run_scan

pytestmark = pytest.mark.skipif(find_spec("ray") is None,
                                reason="ray is not installed: pip install 'codi[ray]' (make test installs it)")


@pytest.fixture(scope="module")
def ray_cluster() -> Iterator[Any]:
    from codi.fleet.ray_engine import start_local_cluster

    start_local_cluster(num_cpus=2)
    import ray
    from ray import cloudpickle

    # The failure-injecting batch functions below travel by value: workers cannot import this file.
    cloudpickle.register_pickle_by_value(sys.modules[__name__])
    try:
        yield ray
    finally:
        cloudpickle.unregister_pickle_by_value(sys.modules[__name__])
        ray.shutdown()


@pytest.fixture
def repos(corpus: list[Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """10 repositories of one corpus Dockerfile each, and an 11th with the same content as the first."""
    return corpus_repos(corpus, tmp_path, monkeypatch, 10)


def _use_engine(monkeypatch: pytest.MonkeyPatch, **kw: Any) -> None:
    from codi.fleet.ray_engine import RayEngine

    monkeypatch.setattr(fleet_scan, "make_engine", lambda name, jobs: RayEngine(jobs, **kw))


def kill_once(marker: str, tasks: list[LintTask]) -> list[LintSummary]:
    """Kills its own worker process the first time (as the OOM killer would), then lints."""
    if not os.path.exists(marker):
        Path(marker).write_text(str(os.getpid()), encoding="utf-8")
        os.kill(os.getpid(), signal.SIGKILL)
    return lint_batch(tasks)


def hang_on(name: str, tasks: list[LintTask]) -> list[LintSummary]:
    """Hangs (as a stuck ShellCheck would) on any batch holding the repository ``name``."""
    if any(Path(t.root).name == name for t in tasks):
        time.sleep(3600)
    return lint_batch(tasks)


def test_local_cluster_is_loopback_only(ray_cluster: Any) -> None:
    nodes = ray_cluster.nodes()
    assert [n["NodeManagerAddress"] for n in nodes] == ["127.0.0.1"]
    assert ray_cluster.cluster_resources()["CPU"] == 2


def test_results_identical_across_local_and_ray(ray_cluster: Any, repos: list[Path], tmp_path: Path) -> None:
    manifest = write_manifest(tmp_path / "repos.txt", repos)
    local = run_scan(ScanOptions(manifest=manifest, out=tmp_path / "local", engine="local", jobs=1, backoff_s=0))
    remote = run_scan(ScanOptions(manifest=manifest, out=tmp_path / "ray", engine="ray", jobs=2, backoff_s=0))
    assert remote.status == local.status == "complete" and remote.exit_code == 0
    assert [r.payload() for r in remote.repos] == [r.payload() for r in local.repos]
    assert [r.status for r in remote.repos] == ["ok"] * 10 + ["cached"]  # the copy of repo00 is linted once
    keys = sorted({r.key for r in local.repos if r.key})
    dbs = [SQLiteDB(tmp_path / side / "_fleet" / "fleet.db") for side in ("local", "ray")]
    try:
        a, b = (db.contents(keys) for db in dbs)
    finally:
        for db in dbs:
            db.close()
    assert {k: (r.findings, r.by_rule, r.stack, r.files) for k, r in a.items()} == \
           {k: (r.findings, r.by_rule, r.stack, r.files) for k, r in b.items()}
    for key in keys:  # the workers wrote the same results to the store
        rel = Path("_fleet", "store", "results", key[:2], f"{key}.json")
        assert (tmp_path / "ray" / rel).read_bytes() == (tmp_path / "local" / rel).read_bytes()
    warm = run_scan(ScanOptions(manifest=manifest, out=tmp_path / "ray", engine="ray", jobs=2, backoff_s=0))
    assert warm.linted == 0 and [r.status for r in warm.repos] == ["cached"] * 11


def test_worker_killed_mid_task_is_retried(ray_cluster: Any, repos: list[Path], tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    marker = tmp_path / "killed-once"
    _use_engine(monkeypatch, batch_fn=functools.partial(kill_once, str(marker)))
    outcome = run_scan(ScanOptions(manifest=write_manifest(tmp_path / "repos.txt", repos[:4]), out=tmp_path / "out",
                                   engine="ray", jobs=2, backoff_s=0))
    assert marker.exists()  # the first try's worker was killed ...
    assert outcome.status == "complete", [r.error for r in outcome.repos]  # ... and Ray's retry linted it
    assert [r.status for r in outcome.repos] == ["ok"] * 4 and all(r.findings is not None for r in outcome.repos)


def test_hung_task_times_out_and_the_scan_finishes(ray_cluster: Any, repos: list[Path], tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    _use_engine(monkeypatch, batch_fn=functools.partial(hang_on, "repo01"), timeout_s=6.0)
    started = time.monotonic()
    outcome = run_scan(ScanOptions(manifest=write_manifest(tmp_path / "repos.txt", repos[:4]), out=tmp_path / "out",
                                   engine="ray", jobs=2, backoff_s=0))
    assert time.monotonic() - started < 60
    assert outcome.status == "partial" and outcome.exit_code == 1
    by_name = {r.name: r for r in outcome.repos}
    assert by_name["repo01"].status == "failed" and "timed out after 6s" in (by_name["repo01"].error or "")
    # The batch was split after the timeout: only the hung repository failed.
    assert [by_name[n].status for n in ("repo00", "repo02", "repo03")] == ["ok"] * 3
