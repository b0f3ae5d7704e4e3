"""Fixtures for the API tests: an allowed root with small projects, a runs root and clients."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from apikit import KEY, REPO, make_settings
from fastapi.testclient import TestClient

from codi.api.app import create_app


@pytest.fixture(scope="session")
def roots(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("api")
    allowed = base / "allowed"
    allowed.mkdir()
    shutil.copytree(REPO / "demo" / "python", allowed / "pyproj")
    shutil.copytree(REPO / "demo" / "node", allowed / "nodeproj")
    outside = base / "outside"
    shutil.copytree(REPO / "demo" / "go", outside / "goproj")
    (allowed / "escape").symlink_to(outside / "goproj")
    return {"allowed": allowed, "outside": outside, "runs": base / "runs"}



@pytest.fixture(scope="session")
def client(roots: dict[str, Path]) -> Iterator[TestClient]:
    with TestClient(create_app(make_settings(roots)), raise_server_exceptions=False) as c:
        c.headers["Authorization"] = f"Bearer {KEY}"
        yield c


@pytest.fixture
def anon(roots: dict[str, Path]) -> Iterator[TestClient]:
    with TestClient(create_app(make_settings(roots)), raise_server_exceptions=False) as c:
        yield c


@pytest.fixture(scope="session")
def a_run(client: TestClient, roots: dict[str, Path]) -> str:
    r = client.post("/run", json={"project_path": str(roots["allowed"] / "pyproj"), "llm": False})
    assert r.status_code == 200, r.text
    return str(r.json()["run_id"])
