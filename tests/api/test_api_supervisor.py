"""The `codi stack` supervisor: waits for health, restarts a crashed child, stops everything on SIGTERM.

The children here are tiny HTTP servers with a /healthz (the real ones take seconds to start).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from proctools import alive

from codi.ops.supervisor import MAX_BACKOFF, STABLE_SECONDS, ChildSpec, Supervisor, backoff

CHILD = """
import http.server, os, signal, subprocess, sys
if len(sys.argv) > 2:  # a stubborn child: starts a worker, writes its pid, ignores SIGTERM
    worker = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    open(sys.argv[2], "w").write(str(worker.pid))
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200 if self.path == "/healthz" else 404); self.end_headers(); self.wfile.write(b"ok")
    def log_message(self, *a): pass
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
"""

SUPERVISE = """
import sys
from pathlib import Path
from codi.ops.supervisor import ChildSpec, Supervisor
child, state, ports = sys.argv[1], Path(sys.argv[2]), sys.argv[3:]
def argv(p):  # "PORT" serves /healthz; "PORT:FILE" also starts a worker and ignores SIGTERM; "-" never answers
    if p == "-":
        return [sys.executable, "-c", "import time; time.sleep(120)"], "http://127.0.0.1:9/healthz"
    port, _, extra = p.partition(":")
    return [sys.executable, child, port] + ([extra] if extra else []), f"http://127.0.0.1:{port}/healthz"
specs = [ChildSpec(f"c{i}", *argv(p)) for i, p in enumerate(ports)]
sys.exit(Supervisor(specs, state, poll=0.1, grace=1.0).run())
"""


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait(predicate: object, seconds: float = 20) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return True
        time.sleep(0.1)
    return False


def _state(state: Path) -> dict:  # type: ignore[type-arg]
    try:
        return json.loads((state / "state.json").read_text())  # type: ignore[no-any-return]
    except (OSError, ValueError):
        return {}


def test_supervisor_lifecycle(tmp_path: Path) -> None:
    child = tmp_path / "child.py"
    child.write_text(CHILD)
    state = tmp_path / "state"
    ports = [_port(), _port()]
    sup = subprocess.Popen([sys.executable, "-c", SUPERVISE, str(child), str(state), *map(str, ports)],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        assert _wait(lambda: all(c["healthy"] for c in _state(state).get("children", [{"healthy": False}]))
                     and len(_state(state)["children"]) == 2)
        assert (state / "supervisor.pid").read_text().strip() == str(sup.pid)
        first = _state(state)["children"][1]["pid"]
        os.kill(first, signal.SIGKILL)  # a crash
        assert _wait(lambda: (c := _state(state)["children"][1])["restarts"] == 1 and c["pid"] not in (None, first)
                     and c["healthy"])
        assert httpx.get(f"http://127.0.0.1:{ports[1]}/healthz").status_code == 200
        pids = [c["pid"] for c in _state(state)["children"]]
        sup.send_signal(signal.SIGTERM)
        assert sup.wait(timeout=20) == 0
        assert not any(alive(p) for p in pids)
        assert not (state / "supervisor.pid").exists()
        log = (state / "logs" / "supervisor.log").read_text()
        assert "exited with" in log and "shut down" in log
    finally:
        if sup.poll() is None:
            sup.kill()
            sup.wait()
        for c in _state(state).get("children", []):
            if c.get("pid") and alive(c["pid"]):
                os.kill(c["pid"], signal.SIGKILL)


def test_stack_up_refuses_open_bind_without_key(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "CODI_API_KEY"}
    r = subprocess.run([sys.executable, "-m", "codi", "stack", "up", "--host", "0.0.0.0", "--no-llm",
                        "--state-dir", str(tmp_path)], capture_output=True, text=True, env=env, timeout=60)
    assert r.returncode == 2 and "CODI_API_KEY" in r.stderr


def test_stack_status_and_down_when_nothing_runs(tmp_path: Path) -> None:
    status = subprocess.run([sys.executable, "-m", "codi", "stack", "status", "--json", "--state-dir", str(tmp_path)],
                            capture_output=True, text=True, timeout=60)
    assert status.returncode == 1 and json.loads(status.stdout)["running"] is False
    down = subprocess.run([sys.executable, "-m", "codi", "stack", "down", "--state-dir", str(tmp_path)],
                          capture_output=True, text=True, timeout=60)
    assert down.returncode == 0 and "no stack running" in down.stdout


def _supervise(tmp_path: Path, *ports: str) -> tuple[subprocess.Popen[bytes], Path]:
    child = tmp_path / "child.py"
    child.write_text(CHILD)
    state = tmp_path / "state"
    sup = subprocess.Popen([sys.executable, "-c", SUPERVISE, str(child), str(state), *ports],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return sup, state


def test_stop_reaches_a_child_that_ignores_sigterm_and_its_workers(tmp_path: Path) -> None:
    worker_file = tmp_path / "worker.pid"
    sup, state = _supervise(tmp_path, f"{_port()}:{worker_file}")
    try:
        assert _wait(lambda: bool(_state(state).get("children")) and _state(state)["children"][0]["healthy"])
        child_pid = _state(state)["children"][0]["pid"]
        worker = int(worker_file.read_text())
        sup.send_signal(signal.SIGTERM)
        assert sup.wait(timeout=20) == 0
        assert not alive(child_pid) and not alive(worker)  # the worker went with its parent's group
        assert "ignored SIGTERM" in (state / "logs" / "supervisor.log").read_text()
    finally:
        if sup.poll() is None:
            sup.kill()
            sup.wait()
        if worker_file.exists() and alive(int(worker_file.read_text())):
            os.kill(int(worker_file.read_text()), signal.SIGKILL)


def test_sigterm_while_waiting_for_health_starts_nothing_more(tmp_path: Path) -> None:
    sup, state = _supervise(tmp_path, "-", str(_port()))
    try:
        log = state / "logs" / "supervisor.log"
        assert _wait(lambda: log.is_file() and "started c0" in log.read_text())
        sup.send_signal(signal.SIGTERM)
        assert sup.wait(timeout=20) == 0
        text = log.read_text()
        assert "started c1" not in text and "shut down" in text
    finally:
        if sup.poll() is None:
            sup.kill()
            sup.wait()


def test_backoff_grows_on_quick_crashes_and_resets_after_a_stable_run(tmp_path: Path) -> None:
    spec = ChildSpec("c", [sys.executable, "-c", "raise SystemExit(3)"], "http://127.0.0.1:9/healthz")
    sup = Supervisor([spec], tmp_path)
    child = sup.children[0]
    delays = []
    for _ in range(3):
        sup._start(child)  # noqa: SLF001 - one restart at a time, without the timing loop
        child.proc.wait()  # type: ignore[union-attr]
        sup.tick()  # notices the exit and schedules the restart
        delays.append(child.next_start - time.monotonic())
    assert child.restarts == 3 and child.last_exit == 3
    assert delays[0] < delays[1] < delays[2] <= MAX_BACKOFF
    sup._start(child)  # noqa: SLF001
    child.proc.wait()  # type: ignore[union-attr]
    child.started_at -= STABLE_SECONDS  # as if it had run for a minute before crashing
    sup.tick()
    assert child.failures == 1 and child.next_start - time.monotonic() <= backoff(1)
    if child.proc is not None:
        child.proc.kill()
        child.proc.wait()


def test_detached_up_reports_a_supervisor_that_dies_at_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Regression: `stack up --detach` waited the full 90 s when its supervisor had already exited.
    from typer.testing import CliRunner

    from codi.cli import serve_cmds
    from codi.cli.main import app

    real_popen = subprocess.Popen

    def dying(argv, **kwargs):  # type: ignore[no-untyped-def]
        return real_popen([sys.executable, "-c", "import sys; sys.exit(3)"], **kwargs)

    monkeypatch.setattr(serve_cmds.subprocess, "Popen", dying)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    started = time.monotonic()
    result = CliRunner().invoke(app, ["stack", "up", "--detach", "--no-llm", "--port", str(port),
                                      "--state-dir", str(tmp_path / "state")])
    assert result.exit_code == 2, result.output
    assert "exited with status 3" in result.output
    assert time.monotonic() - started < 30
