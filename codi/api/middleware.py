"""One ASGI layer in front of every route: API keys, the body cap, metrics and the audit log.

Written as plain ASGI (not BaseHTTPMiddleware) so the request body can be counted while it
streams in and the response is never buffered.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from codi.api.metrics import Metrics
from codi.api.security import match_key, presented_key
from codi.api.settings import ApiSettings

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

OPEN_PATHS = frozenset({"/healthz", "/readyz"})
# Pages a person opens in a browser: a 401 there asks for HTTP Basic (password = API key), so the browser
# shows its login box; every other endpoint keeps its JSON 401 with a Bearer challenge.
_HTML_PAGES = re.compile(r"^/(dashboard|docs|runs/[^/]+/report\.html)$")
audit = logging.getLogger("codi.api.audit")
# An oversized body is read and thrown away (up to these bounds) before the 413 goes out: a client that
# sends the whole body before it reads (urllib, httpx, requests) would otherwise see the connection reset
# under its upload instead of the answer. Beyond the bounds the connection is closed all the same.
DRAIN_BYTES = 64 * 1024 * 1024
DRAIN_SECONDS = 30.0
_ROUTES = (
    (re.compile(r"^/runs/[^/]+/report\.html$"), "/runs/{run_id}/report.html"),
    (re.compile(r"^/runs/[^/]+$"), "/runs/{run_id}"),
    (re.compile(r"^/jobs/[^/]+$"), "/jobs/{job_id}"),
)
KNOWN = frozenset({"/healthz", "/readyz", "/lint", "/fix", "/analyze", "/rewrite", "/run", "/report", "/runs", "/metrics",
                   "/dashboard", "/llm/rank", "/llm/explain", "/docs", "/openapi.json"})


def route_label(path: str) -> str:
    """A bounded set of metric labels: ids collapse to their template, unknown paths to one label."""
    if path in KNOWN:
        return path
    for pattern, label in _ROUTES:
        if pattern.match(path):
            return label
    return "other"


async def _reply(send: Send, status: int, content_type: bytes, data: bytes, extra: list[tuple[bytes, bytes]]) -> None:
    headers = [(b"content-type", content_type), (b"content-length", str(len(data)).encode())] + extra
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": data})


async def _json_reply(send: Send, status: int, body: dict[str, Any], extra: list[tuple[bytes, bytes]]) -> None:
    await _reply(send, status, b"application/json", json.dumps(body).encode("utf-8"), extra)


class Guard:
    def __init__(self, app: ASGIApp, settings: ApiSettings, metrics: Metrics) -> None:
        self.app = app
        self.settings = settings
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = {"code": 500}

        async def counting_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        try:
            await self._handle(scope, receive, counting_send)
        finally:
            self.metrics.observe_request(scope["method"], route_label(scope["path"]), status["code"],
                                         time.perf_counter() - started)

    async def _handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        client = (scope.get("client") or ("?", 0))[0]
        path, method = scope["path"], scope["method"]
        kid = "open"
        if self.settings.keys and path not in OPEN_PATHS:
            found = match_key(presented_key(headers.get("authorization"), headers.get("x-api-key")), self.settings.keys)
            if found is None:
                audit.warning("auth.denied method=%s path=%s client=%s", method, path, client)
                if _HTML_PAGES.match(path):
                    await _reply(send, 401, b"text/plain; charset=utf-8",
                                 b"401: this page needs an API key: log in with any user name and the key as "
                                 b"password\n", [(b"www-authenticate", b'Basic realm="codi", charset="UTF-8"')])
                    return
                await _json_reply(send, 401, {"error": "missing or invalid API key (Authorization: Bearer <key> "
                                                       "or X-API-Key: <key>)"}, [(b"www-authenticate", b"Bearer")])
                return
            kid = found
        scope.setdefault("state", {})["key_id"] = kid
        cap = self.settings.max_body
        declared = headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > cap:
            audit.warning("body.too_large key=%s path=%s bytes=%s", kid, path, declared)
            # A client waiting for "100 Continue" has sent nothing yet: answer at once, it never uploads.
            if headers.get("expect", "").lower() != "100-continue" and int(declared) <= DRAIN_BYTES:
                await _drain(receive, int(declared))
            await _too_large(send, cap)
            return
        if method in ("POST", "PUT", "PATCH"):
            body = bytearray()
            while True:
                message = await receive()
                if message["type"] == "http.disconnect":
                    return
                body += message.get("body", b"")
                if len(body) > cap:
                    audit.warning("body.too_large key=%s path=%s", kid, path)
                    if message.get("more_body", False):
                        await _drain(receive, DRAIN_BYTES - len(body))
                    await _too_large(send, cap)
                    return
                if not message.get("more_body", False):
                    break
            audit.info("request key=%s method=%s path=%s client=%s bytes=%d", kid, method, path, client, len(body))
            receive = _replay(bytes(body), receive)
        await self.app(scope, receive, send)


async def _too_large(send: Send, cap: int) -> None:
    # "connection: close": the server does not wait for (or parse) whatever is left of the body.
    await _json_reply(send, 413, {"error": f"request body larger than {cap} bytes"}, [(b"connection", b"close")])


async def _drain(receive: Receive, limit: int) -> None:
    """Read and discard the rest of a request body: at most ``limit`` bytes, for at most DRAIN_SECONDS."""
    async def discard() -> None:
        seen = 0
        while seen <= limit:
            message = await receive()
            if message["type"] == "http.disconnect" or not message.get("more_body", False):
                return
            seen += len(message.get("body", b""))

    try:
        await asyncio.wait_for(discard(), DRAIN_SECONDS)
    except TimeoutError:
        pass


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay
