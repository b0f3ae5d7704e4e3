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

CHILD = """
import http.server, sys
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
specs = [ChildSpec(f"c{i}", [sys.executable, child, p], f"http://127.0.0.1:{p}/healthz") for i, p in enumerate(ports)]
sys.exit(Supervisor(specs, state, poll=0.1).run())
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


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] != "Z"


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
        assert not any(_alive(p) for p in pids)
        assert not (state / "supervisor.pid").exists()
        log = (state / "logs" / "supervisor.log").read_text()
        assert "exited with" in log and "shut down" in log
    finally:
        if sup.poll() is None:
            sup.kill()
            sup.wait()
        for c in _state(state).get("children", []):
            if c.get("pid") and _alive(c["pid"]):
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
