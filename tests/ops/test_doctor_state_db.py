"""`codi doctor`'s state_db check: CODI_DB_URL reachable, with an API schema this CODI knows (read-only)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from doctor_env import clean_env

from codi.ops import doctor_state as state
from codi.ops.doctor import CHECK_NAMES
from codi.ops.doctor_model import Context


@pytest.fixture
def out(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("CODI_DB_URL", raising=False)
    return clean_env(monkeypatch, tmp_path)


def ctx(out: Path, **env: str) -> Context:
    return Context.create(out, env={**os.environ, **env})


def test_unset_is_fine_and_a_bad_scheme_fails(out: Path) -> None:
    assert "state_db" in CHECK_NAMES
    assert state.state_db(ctx(out)).status == "ok"
    bad = state.state_db(ctx(out, CODI_DB_URL="mysql://u:pw@db/codi"))
    assert bad.status == "fail" and "only postgresql://" in bad.reason and "pw" not in bad.reason


def test_an_unreachable_database_fails_plainly(out: Path) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    result = state.state_db(ctx(out, CODI_DB_URL=f"postgresql://u:pw@127.0.0.1:{port}/codi"))
    assert result.status == "fail" and "cannot connect" in result.reason and ":pw@" not in result.reason


def test_reads_the_schema_version_without_making_it(out: Path, pg_url: str) -> None:
    from codi.service.statedb import SCHEMA_VERSION, StateDB, schema_version

    fresh = state.state_db(ctx(out, CODI_DB_URL=pg_url))
    assert fresh.status == "ok" and "no API schema yet" in fresh.reason
    assert schema_version(pg_url) == 0  # doctor made nothing
    StateDB(pg_url).close()  # what `codi serve` does at start
    good = state.state_db(ctx(out, CODI_DB_URL=pg_url))
    assert good.status == "ok" and good.data["schema_version"] == SCHEMA_VERSION
    db = StateDB(pg_url)
    db.run(lambda c: c.execute("INSERT INTO api_migrations (version) VALUES (%s)", (SCHEMA_VERSION + 1,)))
    db.close()
    newer = state.state_db(ctx(out, CODI_DB_URL=pg_url))
    assert newer.status == "fail" and "newer than this CODI" in newer.reason
