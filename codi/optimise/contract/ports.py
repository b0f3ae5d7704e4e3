"""The port a container's command listens on, read off the command: for images that expose none, and for
the question whether the app binds a privileged port (below 1024) that a non-root user cannot bind."""

from __future__ import annotations

import re
import shlex

from codi.optimise.contract.model import RuntimeContract

PRIVILEGED_BELOW = 1024  # Linux's default net.ipv4.ip_unprivileged_port_start

# Servers whose port the command names, and the port each listens on when it names none.
_DEFAULT_PORTS = {"gunicorn": 8000, "uvicorn": 8000, "hypercorn": 8000, "daphne": 8000, "flask": 5000,
                  "streamlit": 8501, "runserver": 8000, "fastapi": 8000}
_NEEDS_SUBCOMMAND = {"flask": {"run"}, "streamlit": {"run"}, "fastapi": {"run", "dev"}}  # `flask db upgrade`: none
_PORT_FLAGS = {"--port", "--server.port", "--http-port"}
_SHORT_PORT = {"daphne", "flask", "next", "http-server"}  # where `-p N` is the port (`node -p` prints)
_BIND_FLAGS = {"-b", "--bind", "--listen"}
_BIND = re.compile(r"^(?:[\w.-]*|\[[0-9a-fA-F:]*\]):(\d{2,5})$")


def _number(text: str) -> int | None:
    return int(text) if text.isascii() and text.isdigit() and 0 < int(text) < 65536 else None


def command_port(argv: list[str]) -> int | None:
    """The port an image's command listens on when the command says it (``gunicorn -b 0.0.0.0:8000``,
    ``uvicorn --port 8080``, ``manage.py runserver 0.0.0.0:8000``) or runs a server with a known default
    (gunicorn, uvicorn, ``fastapi run``: 8000; ``flask run``: 5000; ``streamlit run``: 8501); None when it
    does not say. For an image that exposes no port: its smoke run then asks that port, original and
    candidates alike."""
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
    known = [s for s in servers
             if s in _DEFAULT_PORTS and (s not in _NEEDS_SUBCOMMAND or _NEEDS_SUBCOMMAND[s] & set(words))]
    return _DEFAULT_PORTS[known[0]] if known else None


def privileged_port(contract: RuntimeContract) -> int | None:
    """The first port below 1024 the image exposes or its command names (None: none): as root it binds it;
    a non-root user only where the runtime lowers the unprivileged port start (Docker 20.10+ does,
    Kubernetes and plain Linux do not)."""
    numbers = [_number(p.split("/", 1)[0]) or 0 for p in contract.ports]
    named = command_port((contract.entrypoint or []) + (contract.cmd or []))
    return next((n for n in [*numbers, *([named] if named else [])] if 0 < n < PRIVILEGED_BELOW), None)
