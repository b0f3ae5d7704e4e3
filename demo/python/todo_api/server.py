"""HTTP server for the todo API: a FastAPI app served by uvicorn.

Routes:
    GET  /              -> the service's name and version
    GET  /healthz       -> {"status": "ok", "version": ...}
    GET  /todos         -> list of todos
    POST /todos         -> create one from {"title": "..."}
    GET  /todos/{id}    -> one todo, or 404
"""

from __future__ import annotations

import json
import os
import socket
import threading
from typing import Any

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from todo_api import __version__


class TodoStore:
    """Todos kept in memory; a lock because handlers may run on worker threads."""

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


def create_app(store: TodoStore | None = None) -> FastAPI:
    app = FastAPI(title="todo-api", version=__version__, docs_url=None, redoc_url=None, openapi_url=None)
    todos = store or TodoStore()

    @app.get("/")
    def index() -> dict[str, str]:
        return {"name": "todo-api", "version": __version__}

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    @app.get("/todos")
    def list_todos() -> list[dict[str, Any]]:
        return todos.all()

    @app.post("/todos")
    async def create_todo(request: Request) -> JSONResponse:
        try:
            body = json.loads(await request.body())
        except ValueError:
            return JSONResponse({"error": "body is not JSON"}, status_code=400)
        title = body.get("title") if isinstance(body, dict) else None
        if not isinstance(title, str) or not title.strip():
            return JSONResponse({"error": "'title' must be a non-empty string"}, status_code=400)
        return JSONResponse(todos.add(title.strip()), status_code=201)

    @app.get("/todos/{item_id}")
    def get_todo(item_id: int) -> JSONResponse:
        item = todos.get(item_id)
        return JSONResponse(item) if item else JSONResponse({"error": "no such todo"}, status_code=404)

    @app.exception_handler(HTTPException)
    async def http_error(_request: Request, exc: HTTPException) -> JSONResponse:
        # JSON errors, like the routes, in the same words for every status.
        message = "not found" if exc.status_code == 404 else str(exc.detail).lower()
        return JSONResponse({"error": message}, status_code=exc.status_code)

    return app


def main() -> None:
    host = os.environ.get("HOST", "0.0.0.0")
    port = int(os.environ.get("PORT", "8000"))
    # Bound here, so PORT=0 reports the port the OS picked; uvicorn serves on this socket and turns
    # SIGTERM (`docker stop`) into a clean shutdown.
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(128)  # requests wait in the backlog until uvicorn has started
    print(f"todo-api listening on http://{host}:{sock.getsockname()[1]}", flush=True)
    server = uvicorn.Server(uvicorn.Config(create_app(), log_level="warning"))
    server.run(sockets=[sock])


if __name__ == "__main__":
    main()
