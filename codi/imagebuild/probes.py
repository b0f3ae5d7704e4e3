"""Same answers, not just an answer: the smoke run asks the original and each candidate the same
HTTP requests and compares status, content type and body.

Paths: the root, the app's health path (from its HEALTHCHECK's URL, else the common ``/healthz`` and
``/health``), and any the user names (``--probe PATH``). Bodies are compared byte for byte, except
JSON bodies, which are compared as parsed values (key order and spacing are not behaviour); nothing
else is normalised, so an app whose answers carry a timestamp or a random value differs (say so
with fewer probe paths).
"""

from __future__ import annotations

import http.client
import json
import re
from typing import Any

COMMON_HEALTH = ("/healthz", "/health")
MAX_BODY = 64 * 1024  # compared bytes per answer; a longer body is compared on its first 64 KiB
_URL = re.compile(r"https?://[^/\s'\"]+(/[^\s'\"]*)?")


def probe_paths(healthcheck: str | None, extra: list[str] | tuple[str, ...] = ()) -> list[str]:
    """The paths to ask, in order, without repeats: "/", the health check's path or the common ones, ``extra``."""
    health: list[str] = []
    for m in _URL.finditer(healthcheck or ""):
        health.append(m.group(1) or "/")
    paths = ["/", *(health or COMMON_HEALTH), *(p if p.startswith("/") else "/" + p for p in extra)]
    return list(dict.fromkeys(paths))


def ask(port: int, path: str, timeout: float = 3.0) -> dict[str, Any]:
    """One GET on loopback: {"status", "content_type", "body"} (body as text, at most MAX_BODY bytes), or {"error"}."""
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        conn.request("GET", path)
        resp = conn.getresponse()
        body = resp.read(MAX_BODY)
        ctype = resp.getheader("Content-Type") or ""
        conn.close()
    except (http.client.HTTPException, OSError) as exc:
        return {"error": f"{type(exc).__name__}: {exc}"}
    return {"status": resp.status, "content_type": _ctype(ctype), "body": body.decode("utf-8", "replace")}


def _ctype(value: str) -> str:
    return ";".join(part.strip() for part in value.lower().split(";") if part.strip())


def _body(answer: dict[str, Any]) -> object:
    text = answer.get("body", "")
    if "json" in answer.get("content_type", ""):
        try:
            return json.loads(text)
        except ValueError:
            return text
    return text


def _short(text: str, limit: int = 120) -> str:
    text = text.replace("\n", "\\n")
    return text if len(text) <= limit else text[:limit] + "..."


def compare(original: dict[str, dict[str, Any]], candidate: dict[str, dict[str, Any]]) -> list[str]:
    """Where the candidate's answers differ from the original's, one line per path ([] when the same)."""
    out: list[str] = []
    for path, want in original.items():
        got = candidate.get(path)
        if got is None:
            out.append(f"GET {path}: not asked of the candidate")
            continue
        if "error" in want or "error" in got:
            if ("error" in want) != ("error" in got):
                out.append(f"GET {path}: original {_said(want)}, candidate {_said(got)}")
            continue
        for key, label in (("status", "status"), ("content_type", "content type")):
            if want.get(key) != got.get(key):
                out.append(f"GET {path}: {label} {want.get(key) or '(none)'} in the original, "
                           f"{got.get(key) or '(none)'} in the candidate")
        if _body(want) != _body(got):
            out.append(f"GET {path}: body differs: original `{_short(want.get('body', ''))}`, "
                       f"candidate `{_short(got.get('body', ''))}`")
    return out


def _said(answer: dict[str, Any]) -> str:
    return f"got no answer ({answer['error']})" if "error" in answer else f"answered {answer.get('status')}"
