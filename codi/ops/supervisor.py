"""`codi stack`: a small supervisor for the model server and the API.

It starts each child, waits for its ``/healthz``, restarts a child that exits (with back-off),
and on SIGTERM/SIGINT stops the children (SIGTERM, then SIGKILL after a grace period) and exits 0.
State lives in a folder (``supervisor.pid``, ``state.json``, ``logs/<child>.log``) so that
``codi stack status|logs|down`` work from another shell or ``docker exec``.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from codi.atomic import atomic_write_text

GRACE_SECONDS = 10.0
MAX_BACKOFF = 30.0
STABLE_SECONDS = 60.0  # a child that ran this long before exiting restarts without back-off


def backoff(failures: int) -> float:
    """Seconds before restarting a child after ``failures`` quick exits in a row (0.5 s doubling, capped)."""
    return min(MAX_BACKOFF, 0.5 * float(2 ** min(max(failures, 1) - 1, 6)))


@dataclass(slots=True)
class ChildSpec:
    name: str
    argv: list[str]
    health_url: str
    env: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class Child:
    spec: ChildSpec
    proc: subprocess.Popen[bytes] | None = None
    restarts: int = 0
    failures: int = 0  # quick exits in a row; drives the back-off
    healthy: bool = False
    next_start: float = 0.0
    started_at: float = 0.0
    last_exit: int | None = None


def default_state_dir() -> Path:
    return Path(os.environ.get("CODI_STACK_DIR") or ".codi-stack")


def healthy(url: str, timeout: float = 1.0) -> bool:
    try:
        return httpx.get(url, timeout=timeout).status_code == 200
    except httpx.HTTPError:
        return False


def specs(api_host: str, api_port: int, llm_port: int | None, workers: int = 1,
          insecure: bool = False) -> list[ChildSpec]:
    """The model server (optional) then the API, each run as ``python -m codi ...``."""
    py = [sys.executable, "-m", "codi"]
    out: list[ChildSpec] = []
    env: dict[str, str] = {}
    if llm_port is not None:
        out.append(ChildSpec("llm", py + ["llm", "serve", "--host", "127.0.0.1", "--port", str(llm_port)],
                             f"http://127.0.0.1:{llm_port}/healthz"))
        env["LLM_ENDPOINT"] = os.environ.get("LLM_ENDPOINT") or f"http://127.0.0.1:{llm_port}"
    probe = "127.0.0.1" if api_host in ("0.0.0.0", "::", "") else api_host
    api = py + ["serve", "--host", api_host, "--port", str(api_port), "--workers", str(workers)]
    out.append(ChildSpec("api", api + (["--insecure"] if insecure else []),
                         f"http://{probe}:{api_port}/healthz", env))
    return out


class Supervisor:
    def __init__(self, children: list[ChildSpec], state_dir: Path, poll: float = 0.5,
                 grace: float = GRACE_SECONDS) -> None:
        self.children = [Child(s) for s in children]
        self.state_dir = state_dir
        self.poll = poll
        self.grace = grace
        self.stopping = False
        (state_dir / "logs").mkdir(parents=True, exist_ok=True)

    def _log(self, message: str) -> None:
        line = f"{time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())} supervisor: {message}\n"
        sys.stderr.write(line)
        with (self.state_dir / "logs" / "supervisor.log").open("a", encoding="utf-8") as fh:
            fh.write(line)

    def _start(self, child: Child) -> None:
        log = (self.state_dir / "logs" / f"{child.spec.name}.log").open("ab")
        env = {**os.environ, **child.spec.env}
        # Each child leads its own process group, so stopping it also reaches what it started
        # (uvicorn's worker processes), and a terminal's Ctrl-C reaches only the supervisor.
        child.proc = subprocess.Popen(child.spec.argv, stdout=log, stderr=subprocess.STDOUT, env=env,
                                      stdin=subprocess.DEVNULL, start_new_session=True)
        log.close()
        child.healthy = False
        child.started_at = time.monotonic()
        self._log(f"started {child.spec.name} (pid {child.proc.pid})")

    def write_state(self) -> None:
        data: dict[str, Any] = {"pid": os.getpid(), "stopping": self.stopping, "children": [
            {"name": c.spec.name, "pid": c.proc.pid if c.proc and c.proc.poll() is None else None,
             "healthy": c.healthy, "restarts": c.restarts, "last_exit": c.last_exit, "health_url": c.spec.health_url,
             "argv": c.spec.argv} for c in self.children]}
        atomic_write_text(self.state_dir / "state.json", json.dumps(data, indent=2) + "\n")

    def _on_signal(self, signum: int, frame: object) -> None:
        self.stopping = True

    def start_all(self, wait: float = 60.0) -> bool:
        """Start the children in order, each after the previous one is healthy; False if one never is."""
        ok = True
        for child in self.children:
            if self.stopping:
                break
            self._start(child)
            deadline = time.monotonic() + wait
            while time.monotonic() < deadline and not self.stopping:
                if child.proc is not None and child.proc.poll() is not None:
                    break
                if healthy(child.spec.health_url):
                    child.healthy = True
                    self._log(f"{child.spec.name} is healthy at {child.spec.health_url}")
                    break
                time.sleep(0.2)
            ok = ok and child.healthy
            self.write_state()
        return ok

    def tick(self) -> None:
        """Restart children that exited (with back-off) and refresh health."""
        now = time.monotonic()
        for child in self.children:
            proc = child.proc
            if proc is not None and proc.poll() is not None:
                child.last_exit = proc.returncode
                child.proc = None
                child.healthy = False
                child.restarts += 1
                child.failures = 1 if now - child.started_at >= STABLE_SECONDS else child.failures + 1
                delay = backoff(child.failures)
                child.next_start = now + delay
                _signal_group(proc, signal.SIGKILL)  # leftovers of the dead child (its workers)
                self._log(f"{child.spec.name} exited with {proc.returncode}; restart in {delay:.1f}s")
            if child.proc is None and now >= child.next_start:
                self._start(child)
            elif child.proc is not None:
                child.healthy = healthy(child.spec.health_url, timeout=0.5)
        self.write_state()

    def stop_all(self) -> None:
        for child in reversed(self.children):
            if child.proc is not None and child.proc.poll() is None:
                _signal_group(child.proc, signal.SIGTERM)
        deadline = time.monotonic() + self.grace
        for child in reversed(self.children):
            if child.proc is None:
                continue
            try:
                child.proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self._log(f"{child.spec.name} ignored SIGTERM for {self.grace:g}s; killing it")
            # SIGKILL the whole group either way: a worker that outlived its parent must not linger.
            _signal_group(child.proc, signal.SIGKILL)
            child.proc.wait()
            self._log(f"stopped {child.spec.name}")
        self.write_state()

    def run(self) -> int:
        """Supervise until SIGTERM/SIGINT; returns the exit code."""
        signal.signal(signal.SIGTERM, self._on_signal)
        signal.signal(signal.SIGINT, self._on_signal)
        atomic_write_text(self.state_dir / "supervisor.pid", f"{os.getpid()}\n")
        try:
            if not self.start_all():
                self._log("not every child became healthy; supervising anyway (crashed children are restarted)")
            while not self.stopping:
                self.tick()
                end = time.monotonic() + self.poll
                while not self.stopping and time.monotonic() < end:
                    time.sleep(0.05)
        finally:
            self.stopping = True
            self.stop_all()
            (self.state_dir / "supervisor.pid").unlink(missing_ok=True)
            self._log("shut down")
        return 0


def _signal_group(proc: subprocess.Popen[bytes], signum: int) -> None:
    try:
        os.killpg(proc.pid, signum)
    except (ProcessLookupError, PermissionError):
        pass


def read_state(state_dir: Path) -> dict[str, Any] | None:
    try:
        data: dict[str, Any] = json.loads((state_dir / "state.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data


def supervisor_pid(state_dir: Path) -> int | None:
    try:
        pid = int((state_dir / "supervisor.pid").read_text().strip())
    except (OSError, ValueError):
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        pass
    # A stale pid file (the supervisor was killed) may name a pid the system gave to something else.
    try:
        if b"codi" not in Path(f"/proc/{pid}/cmdline").read_bytes():
            return None
    except OSError:
        pass
    return pid


def stop(state_dir: Path, timeout: float = GRACE_SECONDS + 5) -> bool:
    """SIGTERM the supervisor of ``state_dir`` and wait for it; False if none was running."""
    pid = supervisor_pid(state_dir)
    if pid is None:
        return False
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and supervisor_pid(state_dir) == pid:
        time.sleep(0.1)
    return True
