"""What every shared level of the ShellCheck cache implements (``SharedLevel``), and how an entry is stored.

The levels: codi.rules.shellcheck.shared_pg (Postgres), codi.rules.shellcheck.shared_store (a folder or
S3); codi.rules.shellcheck.shared picks the one ``$CODI_CACHE_URL`` names."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Protocol

Comments = list[dict[str, Any]]


ENV = "CODI_CACHE_URL"


RETRY_AFTER_S = 60.0


class SharedLevel(Protocol):
    """What the local cache asks of a shared level. Neither method raises."""

    url: str

    def get_many(self, keys: list[str]) -> dict[str, Comments]:
        """The entries found; a missing or unreadable one is simply absent."""
        ...

    def put_many(self, items: Mapping[str, Comments]) -> None:
        """Store fresh results; an entry already there stands (same key, same content)."""
        ...


def encode(comments: Comments) -> str:
    return json.dumps(comments, separators=(",", ":"))


def decode(text: str | bytes) -> Comments | None:
    """The stored comments, or None for a damaged entry (a miss)."""
    try:
        comments = json.loads(text)
    except (TypeError, ValueError):
        return None
    if isinstance(comments, list) and all(isinstance(c, dict) for c in comments):
        return comments
    return None
