"""Smoke runs: the image's own CMD/ENTRYPOINT as its own user; no --privileged, no mounts, no secrets.

Passed when the process is still running after ``seconds`` (or exited 0: a one-shot image), and, when
the image exposes a port, when an HTTP request to it on loopback gets any answer in the time limit.
With ``probes``, the running app is then asked each path and its answers kept under "answers", for the
measured run to compare a candidate's with the original's (codi/imagebuild/probes.py).
"""

from __future__ import annotations

import http.client
import socket
import time
from typing import Any

from codi.imagebuild.engine import Engine, EngineError, ImageInfo, kill_group, tail
from codi.imagebuild.probes import ask
from codi.optimise.contract.ports import command_port

DEFAULT_SMOKE_SECONDS = 3.0
HTTP_WAIT = 15.0  # an exposed port gets at least this long to answer


def _port_busy(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _http_answer(port: int) -> str | None:
    """'HTTP <status>' when something on loopback:port answers HTTP, 'tcp' when it only accepts, else None."""
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        conn.request("GET", "/")
        status = conn.getresponse().status
        conn.close()
        return f"HTTP {status}"
    except (ConnectionRefusedError, TimeoutError):
        return None
    except (http.client.HTTPException, OSError):
        return "tcp" if _port_busy(port) else None


def _result(status: str, reason: str, log: str = "") -> dict[str, Any]:
    return {"status": status, "reason": reason, "log_tail": tail(log, 20)}


def smoke_run(engine: Engine, ref: str, seconds: float = DEFAULT_SMOKE_SECONDS,
              probes: list[str] | None = None) -> dict[str, Any]:
    try:
        info: ImageInfo = engine.inspect(ref)
    except EngineError as exc:
        return _result("failed", f"cannot inspect the image: {exc.message}", exc.log)
    argv = info.entrypoint + info.cmd
    if not argv:
        return _result("skipped", "the image has no CMD or ENTRYPOINT")
    port = info.ports[0] if info.ports else command_port(argv)
    http_note = "" if info.ports or port is None else f"; port {port} read off the command (the image exposes none)"
    if port is not None and _port_busy(port):
        http_note = f"; port {port} already in use here, HTTP check skipped"
        port = None
    try:
        proc, handle = engine.start(ref, argv, info.user)
    except EngineError as exc:
        return _result("failed", f"cannot start a container: {exc.message}", exc.log)
    answer: str | None = None
    answers: dict[str, dict[str, Any]] = {}
    exited: int | None = None
    try:
        start = time.monotonic()
        limit = max(seconds, HTTP_WAIT) if port is not None else seconds
        while time.monotonic() - start < limit:
            exited = proc.poll()
            if exited is not None:
                break
            if port is not None and answer is None:
                answer = _http_answer(port)
            if time.monotonic() - start >= seconds and (port is None or answer is not None):
                break
            time.sleep(0.25)
        exited = proc.poll()
        if exited is None and port is not None and answer is not None and answer != "tcp":
            answers = {path: ask(port, path) for path in probes or []}
    finally:
        kill_group(proc)
        log = proc.stdout.read() if proc.stdout else ""
        try:
            engine.stop(handle)
        except EngineError:
            pass
    who = f" as user {info.user}" if info.user else " as root (the image sets no USER)"
    if exited is not None:
        if exited == 0:
            return _result("passed", f"one-shot: exited 0{who}{http_note}", log)
        return _result("failed", f"exited with status {exited} within {seconds:g} s{who}", log)
    if port is not None and answer is None:
        return _result("failed", f"still running but nothing answered on port {port} within {limit:g} s", log)
    said = f"; {answer} on port {port}" if port is not None and answer != "tcp" else (
        f"; port {port} accepts connections (not HTTP)" if port is not None else "")
    done = _result("passed", f"still running after {seconds:g} s{who}{said}{http_note}", log)
    if answers:
        done["answers"] = answers
    return done
