"""``CODI_DB_URL``: one Postgres that several ``codi serve`` replicas share (run memory, API jobs, metrics).

Unset: each server keeps its state in SQLite and files under its runs root, as before. Only
postgresql:// (or postgres://) URLs are accepted; anything else is a configuration error, said once
and plainly, not a silent fall-back to local state that replicas would not share.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from urllib.parse import urlsplit, urlunsplit

ENV = "CODI_DB_URL"
SCHEMES = ("postgresql", "postgres")


class DBURLError(ValueError):
    """CODI_DB_URL is set but unusable."""


def state_db_url(env: Mapping[str, str] | None = None) -> str | None:
    """The shared state database's URL, or None when CODI_DB_URL is unset or blank."""
    env = os.environ if env is None else env
    url = env.get(ENV, "").strip()
    if not url:
        return None
    if urlsplit(url).scheme not in SCHEMES:
        raise DBURLError(f"{ENV}={redact(url)}: only postgresql:// URLs are supported (pip install 'codi[postgres]')")
    return url


def redact(url: str) -> str:
    """The URL without its password (for messages and logs)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))
