"""Smoke runs: the image's own CMD/ENTRYPOINT as its own user; no --privileged, no mounts, no secrets.

Passed when the process is still running after ``seconds`` (or exited 0: a one-shot image), and, when
the image exposes a port, when an HTTP request to it on loopback gets any answer in the time limit.
With ``probes``, the running app is then asked each path and its answers kept under "answers", for the
measured run to compare a candidate's with the original's (codi/imagebuild/probes.py).
"""

from __future__ import annotations

import http.client
import re
import shlex
import socket
import time
from typing import Any

from codi.imagebuild.engine import Engine, EngineError, ImageInfo, kill_group, tail
from codi.imagebuild.probes import ask

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


# Servers whose port the command names, and the port each listens on when it names none.
_DEFAULT_PORTS = {"gunicorn": 8000, "uvicorn": 8000, "hypercorn": 8000, "daphne": 8000, "flask": 5000,
                  "streamlit": 8501, "runserver": 8000}
_PORT_FLAGS = {"--port", "--server.port", "--http-port"}
_SHORT_PORT = {"daphne", "flask", "next", "http-server"}  # where `-p N` is the port (`node -p` prints)
_BIND_FLAGS = {"-b", "--bind", "--listen"}
_BIND = re.compile(r"^(?:[\w.-]*|\[[0-9a-fA-F:]*\]):(\d{2,5})$")


def _number(text: str) -> int | None:
    return int(text) if text.isascii() and text.isdigit() and 0 < int(text) < 65536 else None


def command_port(argv: list[str]) -> int | None:
    """The port an image's command listens on when the command says it (``gunicorn -b 0.0.0.0:8000``,
    ``uvicorn --port 8080``, ``manage.py runserver 0.0.0.0:8000``) or runs a server with a known default
    (gunicorn, uvicorn: 8000; ``flask run``: 5000; ``streamlit run``: 8501); None when it does not say.
    For an image that exposes no port: its smoke run then asks that port, original and candidates alike."""
    words: list[str] = []
    for arg in argv:
        try:  # `sh -c "gunicorn -b :8000 app:app"`: the script's words too
            words += shlex.split(arg) if " " in arg else [arg]
        except ValueError:
            words.append(arg)
    servers = [w.rsplit("/", 1)[-1] for w in words]
    for i, word in enumerate(words):
        name, eq, value = word.partition("=")
        following = words[i + 1] if i + 1 < len(words) else ""
        if name in _PORT_FLAGS or (name == "-p" and _SHORT_PORT & set(servers)):
            found = _number(value if eq else following)
        elif name in _BIND_FLAGS:
            bind = _BIND.match(value if eq else following)
            found = int(bind.group(1)) if bind else None
        elif word == "runserver":
            bind = _BIND.match(following) if following else None
            found = int(bind.group(1)) if bind else _number(following) or 8000
        else:
            continue
        if found is not None:
            return found
    known = [s for s in servers if s in _DEFAULT_PORTS and (s not in {"flask", "streamlit"} or "run" in words)]
    return _DEFAULT_PORTS[known[0]] if known else None


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
