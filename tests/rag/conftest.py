"""The run memory's tests run against both back-ends where they ask for ``backend``."""

from __future__ import annotations

import pytest


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """SQLite (``<out>/_rag/index.sqlite3``), or a fresh Postgres database through CODI_DB_URL."""
    if request.param == "postgres":
        monkeypatch.setenv("CODI_DB_URL", request.getfixturevalue("pg_url"))
    else:
        monkeypatch.delenv("CODI_DB_URL", raising=False)
    return str(request.param)
