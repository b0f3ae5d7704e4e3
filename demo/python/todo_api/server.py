"""HTTP server for the todo API, built on http.server so the image needs no third-party packages.

Routes:
    GET  /healthz       -> {"status": "ok"}
    GET  /todos         -> list of todos
    POST /todos         -> create one from {"title": "..."}
    GET  /todos/<id>    -> one todo, or 404
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from todo_api import __version__


class TodoStore:
    """Todos kept in memory; a lock because the server handles requests on threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: dict[int, dict[str, Any]] = {}
        self._next_id = 1

    def add(self, title: str) -> dict[str, Any]:
        with self._lock:
            item = {"id": self._next_id, "title": title, "done": False}
            self._items[self._next_id] = item
            self._next_id += 1
            return dict(item)

    def get(self, item_id: int) -> dict[str, Any] | None:
        with self._lock:
            item = self._items.get(item_id)
            return dict(item) if item else None

    def all(self) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(item) for item in self._items.values()]


class TodoHandler(BaseHTTPRequestHandler):
    store = TodoStore()
    server_version = f"todo-api/{__version__}"

    def do_GET(self) -> None:
        if self.path == "/healthz":
            self._send(HTTPStatus.OK, {"status": "ok", "version": __version__})
        elif self.path == "/todos":
            self._send(HTTPStatus.OK, self.store.all())
        elif self.path.startswith("/todos/"):
            item_id = self.path.removeprefix("/todos/")
            item = self.store.get(int(item_id)) if item_id.isdigit() else None
            if item is None:
                self._send(HTTPStatus.NOT_FOUND, {"error": "no such todo"})
            else:
                self._send(HTTPStatus.OK, item)
        else:
            self._send(HTTPStatus.NOT_FOUND, {"error": "not found"})

    def do_POST(self) -> None:
        if self.path != "/todos":
            self._send(HTTPStatus.NOT_FOUND, {"error": "not found"})
            return
        length = int(self.headers.get("Content-Length") or 0)
        try:
            body = json.loads(self.rfile.read(length) or b"{}")
        except json.JSONDecodeError:
            self._send(HTTPStatus.BAD_REQUEST, {"error": "body is not JSON"})
            return
        title = body.get("title") if isinstance(body, dict) else None
        if not isinstance(title, str) or not title.strip():
            self._send(HTTPStatus.BAD_REQUEST, {"error": "'title' must be a non-empty string"})
            return
        self._send(HTTPStatus.CREATED, self.store.add(title.strip()))

    def _send(self, status: HTTPStatus, payload: object) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        # One line per request on stdout, where container logs are collected.
        sys.stdout.write(f"{self.address_string()} {format % args}\n")
        sys.stdout.flush()


def main() -> None:
    host = os.environ.get("HOST", "0.0.0.0")
    port = int(os.environ.get("PORT", "8000"))
    server = ThreadingHTTPServer((host, port), TodoHandler)
    # `docker stop` sends SIGTERM; turn it into a clean shutdown instead of a kill after 10 s.
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
    print(f"todo-api listening on http://{host}:{server.server_port}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
