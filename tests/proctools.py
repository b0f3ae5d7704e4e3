"""Helpers for tests that start real servers and processes (loopback only)."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import httpx


def wait_healthy(url: str, seconds: float) -> bool:
    """Poll ``url``/healthz until it answers 200 or ``seconds`` pass."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                return True
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    return False


def alive(pid: int) -> bool:
    """The process exists and is not a zombie."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] != "Z"


def stop(proc: subprocess.Popen[str] | subprocess.Popen[bytes], seconds: float = 15) -> None:
    """Terminate ``proc``; kill it if it has not exited after ``seconds``."""
    proc.terminate()
    try:
        proc.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
