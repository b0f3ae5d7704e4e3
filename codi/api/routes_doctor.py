"""``GET /readyz``: the model and the run memory are ready (doctor's readiness checks); no key needed."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from codi.api.routes_project import settings_of

router = APIRouter()


@router.get("/readyz", tags=["service"], summary="Readiness: model and run memory ready (no key needed)",
            responses={200: {"description": "ready"}, 503: {"description": "not ready; the failing checks say why"}})
def readyz(request: Request) -> JSONResponse:
    from codi.ops.readiness import readiness

    ready, body = readiness(settings_of(request).runs_root)
    return JSONResponse(body, status_code=200 if ready else 503)
