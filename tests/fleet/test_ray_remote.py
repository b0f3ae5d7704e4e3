"""`codi scan --engine ray` against a separately started Ray cluster, reached through RAY_ADDRESS as on
KubeRay: a head of 2 CPUs started with `ray start --head --block` in a process session of its own
(127.0.0.1 only, token authentication, a private temp dir), and the scan as a driver process. The
results equal the local engine's, the tasks ran on that cluster, a warm rerun lints nothing, and an
unreachable RAY_ADDRESS is a quick exit 2."""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path
from typing import Any

import pytest
from fleetkit import corpus_repos, write_manifest

from codi.fleet.db_sqlite import SQLiteDB
from codi.fleet.scan import ScanOptions, run_scan

pytestmark = pytest.mark.skipif(find_spec("ray") is None,
                                reason="ray is not installed: pip install 'codi[ray]' (make test installs it)")

RAY_CLI = Path(sys.executable).with_name("ray")
HEAD_START_S = 90.0  # `ray start` takes ~3 s alone; much more on a loaded 2-core machine
SCAN_TIMEOUT_S = 120.0
LINT_TASK = "codi-lint-batch"  # the name RayEngine gives its tasks


@dataclass(slots=True)
class Head:
    address: str  # host:port of the head's GCS
    # What a driver needs besides RAY_ADDRESS: the token, and the loopback mode (without it Ray turns
    # 127.0.0.1 in RAY_ADDRESS into the machine's address, where this head does not listen).
    ray_env: dict[str, str]
    logs: Path  # the head's session logs
    sid: int  # the session of `ray start` and all it starts


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _session_pids(sid: int) -> list[int]:
    """The live processes of session ``sid``: Ray puts its workers in process groups of their own,
    so killing the head's group alone can leave them behind."""
    pids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rpartition(")")[2].split()
        except OSError:  # gone meanwhile
            continue
        if int(fields[3]) == sid and fields[0] != "Z":
            pids.append(int(stat.parent.name))
    return pids


def _sockets(pids: list[int]) -> list[str]:
    """The local addresses (hex, as in /proc/net) of the TCP listening and UDP sockets of ``pids``."""
    inodes = set()
    for pid in pids:
        with contextlib.suppress(OSError):
            for fd in Path(f"/proc/{pid}/fd").iterdir():
                with contextlib.suppress(OSError):
                    target = os.readlink(fd)
                    if target.startswith("socket:["):
                        inodes.add(target[8:-1])
    found = []
    for table in ("tcp", "tcp6", "udp", "udp6"):
        with contextlib.suppress(OSError):
            for line in Path("/proc/net", table).read_text().splitlines()[1:]:
                fields = line.split()  # sl local remote state ... inode
                if fields[9] in inodes and (fields[3] == "0A" or table.startswith("udp")):  # 0A: LISTEN
                    found.append(fields[1])
    return found


def _loopback(address: str) -> bool:
    host = address.rpartition(":")[0]
    # 127.0.0.0/8 (little-endian words: it ends in 7F), alone or IPv4-mapped in IPv6, or ::1.
    return (len(host) == 8 and host.endswith("7F")) or (host.startswith("0000000000000000FFFF0000")
                                                        and host.endswith("7F")) \
        or host == "00000000000000000000000001000000"


def _stop(proc: subprocess.Popen[bytes], grace_s: float = 10.0) -> None:
    """SIGTERM to `ray start`, then SIGKILL to its process group and whatever of its session is left
    after ``grace_s``. (Never `ray stop`: it stops every Ray cluster of the machine.)"""
    # `ray start --block` stops its processes in order (~1 s); a SIGTERM to the whole group at once
    # leaves the GCS and the raylet hanging (seen with Ray 2.60).
    proc.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + grace_s
    while _session_pids(proc.pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    for pid in _session_pids(proc.pid):  # the session id stays ours until proc is reaped below
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    proc.wait(timeout=30)


def _wait_ready(proc: subprocess.Popen[bytes], port: int, log: Path) -> None:
    deadline = time.monotonic() + HEAD_START_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"ray start --head exited {proc.returncode}:\n{log.read_text(errors='replace')[-3000:]}")
        if b"Ray runtime started" in log.read_bytes():  # printed once the GCS and the raylet are up
            with socket.create_connection(("127.0.0.1", port), timeout=5):
                return
        time.sleep(0.2)
    pytest.fail(f"ray start --head not ready after {HEAD_START_S:g}s:\n{log.read_text(errors='replace')[-3000:]}")


@pytest.fixture(scope="module")
def head() -> Iterator[Head]:
    if not RAY_CLI.exists():
        pytest.skip(f"no ray command beside {sys.executable}")
    # A short private dir: Ray's socket paths under it must fit in 107 bytes, and no other Ray
    # session of the machine may share it.
    root = Path(tempfile.mkdtemp(prefix="codi-rayhead-"))
    port = _free_port()
    ray_env = {
        "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0",  # every server on 127.0.0.1 (see _loopback_environment)
        "RAY_AUTH_MODE": "token",
        "RAY_AUTH_TOKEN": secrets.token_hex(32),
        "RAY_USAGE_STATS_ENABLED": "0",
    }
    env = {k: v for k, v in os.environ.items() if k != "RAY_ADDRESS"}
    # The workers inherit the head's environment: their ShellCheck cache stays in the private dir.
    env.update(ray_env, CODI_CACHE_DIR=str(root / "cache"))
    log = root / "head.log"
    command = [str(RAY_CLI), "start", "--head", "--block", "--node-ip-address", "127.0.0.1",
               "--port", str(port), "--ray-client-server-port", str(_free_port()),  # not the shared 10001
               "--num-cpus", "2", "--include-dashboard", "false", "--disable-usage-stats",
               "--temp-dir", str(root / "ray"), "--object-store-memory", str(100 * 1024 * 1024)]
    with log.open("wb") as out:
        proc = subprocess.Popen(command, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                cwd=root, start_new_session=True)
    try:
        _wait_ready(proc, port, log)
        yield Head(f"127.0.0.1:{port}", ray_env, root / "ray" / "session_latest" / "logs", proc.pid)
    finally:
        _stop(proc)
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def repos(corpus: list[Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """5 repositories of one corpus Dockerfile each, and a 6th with the same content as the first."""
    return corpus_repos(corpus, tmp_path, monkeypatch, 5)


@dataclass(slots=True)
class Driver:
    pid: int
    returncode: int
    stdout: str
    stderr: str
    seconds: float


def _scan(address: str, ray_env: dict[str, str], manifest: str, out: Path, cwd: Path) -> Driver:
    """`codi scan --engine ray --json` as a driver process of its own, as in a RayJob's submitter."""
    env = {**os.environ, **ray_env, "RAY_ADDRESS": address}
    started = time.monotonic()
    proc = subprocess.Popen([sys.executable, "-m", "codi", "scan", "--engine", "ray", "--manifest", manifest,
                             "--json", "--out", str(out)], env=env, cwd=cwd, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        stdout, stderr = proc.communicate(timeout=SCAN_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        proc.kill()
        stdout, stderr = proc.communicate()
        pytest.fail(f"codi scan --engine ray still running after {SCAN_TIMEOUT_S:g}s:\n{stderr[-3000:]}")
    return Driver(proc.pid, proc.returncode, stdout, stderr, time.monotonic() - started)


JOBS_SCRIPT = """
import json, sys
from ray._raylet import GcsClient
jobs = GcsClient(address=sys.argv[1]).get_all_job_info()
print(json.dumps([{"job": bytes(j.job_id).hex(), "pid": j.driver_pid} for j in jobs.values()]))
"""


def _jobs(head: Head) -> dict[int, str]:
    """The cluster's jobs (drivers that connected to it), driver pid -> job id, from its GCS: the
    state API would need the dashboard, which this head does not run."""
    env = {**os.environ, **head.ray_env}
    done = subprocess.run([sys.executable, "-c", JOBS_SCRIPT, head.address], env=env, capture_output=True,
                          text=True, timeout=60, check=True)
    return {j["pid"]: j["job"] for j in json.loads(done.stdout)}


def _tasks_run(head: Head) -> set[tuple[str, str]]:
    """(job id, task name) of the tasks the head's workers ran: each worker's log names the job and
    the task before the task's own output (the lines Ray's log monitor reads)."""
    seen = set()
    for path in head.logs.glob("worker-*"):
        job = ""
        for line in path.read_text(errors="replace").splitlines():
            if line.startswith(":job_id:"):
                job = line.removeprefix(":job_id:")
            elif line.startswith(":task_name:"):
                seen.add((job, line.removeprefix(":task_name:")))
    return seen


def test_head_listens_on_loopback_only(head: Head) -> None:
    listening = _sockets(_session_pids(head.sid))
    assert listening and all(_loopback(a) for a in listening), listening


def test_scan_connects_to_a_separate_cluster(head: Head, repos: list[Path], tmp_path: Path) -> None:
    manifest = write_manifest(tmp_path / "repos.txt", repos)
    local = run_scan(ScanOptions(manifest=manifest, out=tmp_path / "local", engine="local", jobs=1, backoff_s=0))
    cold = _scan(head.address, head.ray_env, manifest, tmp_path / "ray", tmp_path)
    assert cold.returncode == 0, cold.stderr[-3000:]
    payload: dict[str, Any] = json.loads(cold.stdout)
    assert payload["status"] == "complete" and local.status == "complete"
    assert payload["repos"] == [r.payload() for r in local.repos]  # names, keys, findings, statuses
    assert [r["status"] for r in payload["repos"]] == ["ok"] * 5 + ["cached"]  # repo00's copy linted once
    for key in {r.key for r in local.repos if r.key}:  # the workers wrote the same results to the store
        rel = Path("_fleet", "store", "results", key[:2], f"{key}.json")
        assert (tmp_path / "ray" / rel).read_bytes() == (tmp_path / "local" / rel).read_bytes()

    # The driver joined this cluster (it started none of its own) and its tasks ran on this head's workers.
    jobs = _jobs(head)
    assert cold.pid in jobs, f"driver {cold.pid} is not a job of the head: {jobs}"
    deadline = time.monotonic() + 10  # the worker logs are written as the tasks start; allow a flush
    while (jobs[cold.pid], LINT_TASK) not in _tasks_run(head) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert (jobs[cold.pid], LINT_TASK) in _tasks_run(head), sorted(_tasks_run(head))

    # A warm rerun: every result is in the database already, and no task goes to the cluster.
    warm = _scan(head.address, head.ray_env, manifest, tmp_path / "ray", tmp_path)
    assert warm.returncode == 0, warm.stderr[-3000:]
    again = json.loads(warm.stdout)
    assert again["status"] == "complete" and [r["status"] for r in again["repos"]] == ["cached"] * 6
    assert [(r["key"], r["findings"]) for r in again["repos"]] == [(r["key"], r["findings"]) for r in payload["repos"]]
    assert warm.pid not in _jobs(head)  # it never even connected: nothing to lint

    # All cached, so the cluster is not needed at all: the same rerun with nothing at RAY_ADDRESS.
    gone = _scan(f"127.0.0.1:{_free_port()}", head.ray_env, manifest, tmp_path / "ray", tmp_path)
    assert gone.returncode == 0, gone.stderr[-3000:]
    assert [r["status"] for r in json.loads(gone.stdout)["repos"]] == ["cached"] * 6


def test_unreachable_ray_address_is_a_quick_exit_2(repos: list[Path], tmp_path: Path) -> None:
    address = f"127.0.0.1:{_free_port()}"  # nothing listens there
    env = {"RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0", "RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN": secrets.token_hex(32),
           "RAY_USAGE_STATS_ENABLED": "0"}
    driver = _scan(address, env, write_manifest(tmp_path / "repos.txt", repos), tmp_path / "out", tmp_path)
    assert driver.returncode == 2, driver.stderr[-3000:]
    # Without the probe in RayEngine, Ray retries a closed port for many minutes.
    assert driver.seconds < 30
    lines = driver.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in driver.stderr, driver.stderr[-3000:]
    assert lines[0].startswith("codi: error: --engine ray: cannot start or reach ") and f"RAY_ADDRESS={address}" in lines[0]
    db = SQLiteDB(tmp_path / "out" / "_fleet" / "fleet.db")  # the scan is recorded as ended, not running
    try:
        assert [s.status for s in db.scans()] == ["partial"]
    finally:
        db.close()


@pytest.mark.parametrize("form", ["127.0.0.1:{port}", "ray://127.0.0.1:{port}", "[::1]:{port}"])
def test_probe_refuses_a_closed_port(form: str) -> None:
    from codi.fleet.ray_engine import _probe

    with pytest.raises(OSError):
        _probe(form.format(port=_free_port()))


@pytest.mark.parametrize("address", ["auto", "local", "ray://head", "head"])
def test_probe_leaves_other_forms_to_ray(address: str) -> None:
    from codi.fleet.ray_engine import _probe

    _probe(address)  # no connection attempted, nothing raised
