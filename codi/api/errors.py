"""Every error is JSON with a clear message; a stack trace never reaches the client."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from codi.api.security import Forbidden, NotFound
from codi.service.errors import InputError, LintUsageError
from codi.service.statedb import StateDBError
from codi.telemetry.redact import redact_text

log = logging.getLogger("codi.api")
audit = logging.getLogger("codi.api.audit")


MAX_MESSAGE = 300  # characters of an error a client sees: a path, a line number and a short reason


def public(message: str) -> str:
    """An error message fit for a client: secrets redacted, one line, short. Messages may quote the input
    they refuse (a parse error quotes its line); never more than a short excerpt of it."""
    line = " ".join(redact_text(message).replace("\x00", "\\0").split())
    return line if len(line) <= MAX_MESSAGE else line[: MAX_MESSAGE - 1] + "…"


def describe(exc: BaseException) -> str:
    """The message a client may see for ``exc``."""
    if isinstance(exc, InputError | LintUsageError | Forbidden | NotFound):
        return public(str(exc))
    from codi.report.render import ReportError

    if isinstance(exc, ReportError):
        return public(str(exc))
    log.error("internal error", exc_info=exc)
    return "internal error (see the server log)"


def _validation(exc: RequestValidationError) -> list[dict[str, Any]]:
    # Only location, message and type: the rejected input may be large or not JSON-serialisable.
    return [{"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")} for e in exc.errors()]


def install(app: FastAPI) -> None:
    from codi.report.render import ReportError

    @app.exception_handler(RequestValidationError)
    async def on_validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse({"error": "invalid request", "detail": _validation(exc)}, status_code=422)

    @app.exception_handler(HTTPException)
    async def on_http(request: Request, exc: HTTPException) -> JSONResponse:
        return JSONResponse({"error": str(exc.detail)}, status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(Forbidden)
    async def on_forbidden(request: Request, exc: Forbidden) -> JSONResponse:
        key = request.scope.get("state", {}).get("key_id", "open")
        audit.warning("path.forbidden key=%s path=%s reason=%s", key, request.url.path, exc)
        return JSONResponse({"error": public(str(exc))}, status_code=403)

    @app.exception_handler(NotFound)
    async def on_not_found(request: Request, exc: NotFound) -> JSONResponse:
        return JSONResponse({"error": public(str(exc))}, status_code=404)

    @app.exception_handler(InputError)
    @app.exception_handler(LintUsageError)
    @app.exception_handler(ReportError)
    async def on_input(request: Request, exc: Exception) -> JSONResponse:
        return JSONResponse({"error": public(str(exc))}, status_code=400)

    @app.exception_handler(StateDBError)
    async def on_state_db(request: Request, exc: StateDBError) -> JSONResponse:
        # The URL and host are for the server log, not for clients.
        log.error("shared state database unavailable: %s", exc)
        return JSONResponse({"error": "the shared state database is unavailable (see the server log)"},
                            status_code=503, headers={"retry-after": "5"})

    @app.exception_handler(Exception)
    async def on_any(request: Request, exc: Exception) -> JSONResponse:
        return JSONResponse({"error": describe(exc)}, status_code=500)
