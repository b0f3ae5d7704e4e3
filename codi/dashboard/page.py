"""The static dashboard page: one self-contained HTML file (no CDN, no network)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

STATIC = Path(__file__).resolve().parent / "static"


def _script_safe_json(data: Any) -> str:
    """JSON that cannot close the <script> element it sits in nor open a comment."""
    text = json.dumps(data, ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026").replace(
        "\u2028", "\\u2028").replace("\u2029", "\\u2029")


def render_page(dataset: dict[str, Any]) -> str:
    page = (STATIC / "dashboard.html").read_text(encoding="utf-8")
    css = (STATIC / "dashboard.css").read_text(encoding="utf-8")
    js = "\n".join((STATIC / name).read_text(encoding="utf-8") for name in ("charts.js", "dashboard.js"))
    # Data last: the other two are our own files; the data may contain any text.
    return page.replace("/*CSS*/", css).replace("/*JS*/", js).replace("/*DATA*/", _script_safe_json(dataset))
