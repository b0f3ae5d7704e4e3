"""`codi llm serve`: the embedded model behind an OpenAI-style HTTP API (stdlib server).

``POST /v1/chat/completions`` (``response_format`` ``json_schema``/``json_object`` with a schema is
enforced by a llama.cpp grammar), ``GET /v1/models``, ``GET /healthz``. Requests are served one
generation at a time (the model is shared and serialised).
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from codi.llm.runtime import EmbeddedModel

MAX_BODY = 1 << 20


def _schema(response_format: Any) -> dict[str, Any] | None:
    if not isinstance(response_format, dict):
        return None
    if response_format.get("type") == "json_schema":
        spec = response_format.get("json_schema") or {}
        schema = spec.get("schema") if isinstance(spec, dict) else None
        return schema if isinstance(schema, dict) else {"type": "object"}
    if response_format.get("type") == "json_object":
        schema = response_format.get("schema")
        return schema if isinstance(schema, dict) else {"type": "object"}
    return None


def make_handler(model: EmbeddedModel) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "codi-llm"

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
            return  # quiet: the CLI prints one line at start

        def _send(self, status: int, payload: dict[str, Any]) -> None:
            body = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            try:
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                # The client gave up (its LLM_TIMEOUT_SECONDS passed): nobody to answer, and not
                # worth a stack trace on the server's terminal.
                self.close_connection = True

        def _error(self, status: int, message: str) -> None:
            self._send(status, {"error": {"message": message, "type": "invalid_request_error"}})

        def do_GET(self) -> None:  # noqa: N802 - stdlib name
            path = self.path.split("?", 1)[0].rstrip("/")
            if path == "/healthz":
                self._send(200, {"status": "ok", "model_id": model.model_id,
                                 "adapter_version": model.adapter_version})
            elif path == "/v1/models":
                self._send(200, {"object": "list", "data": [
                    {"id": model.model_id, "object": "model", "owned_by": "codi",
                     "adapter_version": model.adapter_version}]})
            else:
                self._error(404, f"no route {path}")

        def do_POST(self) -> None:  # noqa: N802 - stdlib name
            if self.path.split("?", 1)[0].rstrip("/") != "/v1/chat/completions":
                self._error(404, f"no route {self.path}")
                return
            length = int(self.headers.get("Content-Length") or 0)
            if length <= 0 or length > MAX_BODY:
                self._error(400, "a JSON body of at most 1 MiB is required")
                return
            try:
                req = json.loads(self.rfile.read(length))
                messages = [{"role": str(m["role"]), "content": str(m["content"])} for m in req["messages"]]
            except (ValueError, KeyError, TypeError):
                self._error(400, "body must be JSON with messages: [{role, content}]")
                return
            stop = req.get("stop")
            stop_list = [stop] if isinstance(stop, str) else [str(s) for s in stop] if isinstance(stop, list) else None
            try:
                gen = model.chat(messages, _schema(req.get("response_format")),
                                 int(req.get("max_tokens") or 256), stop_list)
            except (ValueError, RuntimeError) as exc:
                self._error(400, f"generation failed: {exc}")
                return
            self._send(200, {
                "id": f"chatcmpl-{uuid.uuid4().hex[:12]}", "object": "chat.completion", "created": int(time.time()),
                "model": model.model_id, "adapter_version": model.adapter_version,
                "choices": [{"index": 0, "message": {"role": "assistant", "content": gen.text},
                             "finish_reason": "stop"}],
                "usage": {"prompt_tokens": gen.prompt_tokens, "completion_tokens": gen.completion_tokens,
                          "total_tokens": gen.prompt_tokens + gen.completion_tokens}})

    return Handler


class ModelServer:
    """A started server (``port`` is the bound port: pass 0 to pick a free one); ``stop()`` ends it."""

    def __init__(self, model: EmbeddedModel, host: str = "127.0.0.1", port: int = 8081) -> None:
        self.httpd = ThreadingHTTPServer((host, port), make_handler(model))
        self.httpd.daemon_threads = True
        self.host, self.port = host, int(self.httpd.server_address[1])
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> ModelServer:
        self._thread = threading.Thread(target=self.httpd.serve_forever, name="codi-llm-serve", daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self.httpd.serve_forever()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
