"""HTTP server for the todo API: a Flask app served by Werkzeug's threaded server.

Routes:
    GET  /              -> the service's name and version
    GET  /healthz       -> {"status": "ok", "version": ...}
    GET  /todos         -> list of todos
    POST /todos         -> create one from {"title": "..."}
    GET  /todos/<id>    -> one todo, or 404
"""

from __future__ import annotations

import os
import signal
import threading
from typing import Any

from flask import Flask, jsonify, request
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import HTTPException
from werkzeug.serving import make_server

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


def create_app(store: TodoStore | None = None) -> Flask:
    app = Flask("todo_api")
    todos = store or TodoStore()

    @app.get("/")
    def index() -> ResponseReturnValue:
        return jsonify(name="todo-api", version=__version__)

    @app.get("/healthz")
    def healthz() -> ResponseReturnValue:
        return jsonify(status="ok", version=__version__)

    @app.get("/todos")
    def list_todos() -> ResponseReturnValue:
        return jsonify(todos.all())

    @app.post("/todos")
    def create_todo() -> ResponseReturnValue:
        body = request.get_json(force=True, silent=True)
        if body is None:
            return jsonify(error="body is not JSON"), 400
        title = body.get("title") if isinstance(body, dict) else None
        if not isinstance(title, str) or not title.strip():
            return jsonify(error="'title' must be a non-empty string"), 400
        return jsonify(todos.add(title.strip())), 201

    @app.get("/todos/<int:item_id>")
    def get_todo(item_id: int) -> ResponseReturnValue:
        item = todos.get(item_id)
        return (jsonify(item), 200) if item else (jsonify(error="no such todo"), 404)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> ResponseReturnValue:
        # JSON errors, like the routes (Flask's default is an HTML page).
        message = "not found" if exc.code == 404 else (exc.description or exc.name).lower()
        return jsonify(error=message), exc.code or 500

    return app


def main() -> None:
    host = os.environ.get("HOST", "0.0.0.0")
    port = int(os.environ.get("PORT", "8000"))
    server = make_server(host, port, create_app(), threaded=True)
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
