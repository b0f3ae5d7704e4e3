"""GET /docs: a self-contained API reference drawn from /openapi.json (no CDN: works air-gapped).

FastAPI's own /docs loads Swagger UI from a CDN; this page is our HTML, CSS and JS, served inline.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

STATIC = Path(__file__).resolve().parent / "static"
# Only this server may be contacted: the page fetches /openapi.json and the endpoints it tries.
DOCS_CSP = ("default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; connect-src 'self'; "
            "img-src data:; form-action 'none'; base-uri 'none'")

router = APIRouter()


@lru_cache(maxsize=1)
def docs_html() -> str:
    page = (STATIC / "docs.html").read_text(encoding="utf-8")
    css = (STATIC / "docs.css").read_text(encoding="utf-8")
    js = (STATIC / "docs.js").read_text(encoding="utf-8")
    return page.replace("/*CSS*/", css).replace("/*JS*/", js)


@router.get("/docs", response_class=HTMLResponse, include_in_schema=False)
def docs() -> HTMLResponse:
    return HTMLResponse(docs_html(), headers={"content-security-policy": DOCS_CSP, "cache-control": "no-store"})
