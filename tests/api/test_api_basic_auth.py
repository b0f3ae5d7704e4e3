"""HTML pages a browser opens: HTTP Basic (password = API key) with a Basic challenge; JSON endpoints unchanged."""

from __future__ import annotations

import base64

import pytest
from apikit import KEY, OTHER_KEY
from fastapi.testclient import TestClient

PAGES = ["/dashboard", "/docs"]


def _basic(user: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
    return {"Authorization": f"Basic {token}"}


@pytest.mark.parametrize("path", [*PAGES, "/runs/20260101T000000Z-python-nothing/report.html"])
def test_html_page_without_credentials_asks_for_basic(anon: TestClient, path: str) -> None:
    r = anon.get(path)
    assert r.status_code == 401
    assert r.headers["www-authenticate"].startswith('Basic realm="codi"')
    assert "API key" in r.text and KEY not in r.text


@pytest.mark.parametrize("path", PAGES)
def test_html_page_with_basic_auth_any_user(anon: TestClient, path: str) -> None:
    for user in ("alice", "", "ci bot"):
        r = anon.get(path, headers=_basic(user, KEY))
        assert r.status_code == 200, (user, r.text[:200])
        assert r.headers["content-type"].startswith("text/html")
    assert anon.get(path, headers=_basic("bob", OTHER_KEY)).status_code == 200


def test_report_page_with_basic_auth(client: TestClient, anon: TestClient, a_run: str) -> None:
    assert client.post("/report", json={"run_id": a_run}).status_code == 200
    r = anon.get(f"/runs/{a_run}/report.html", headers=_basic("me", KEY))
    assert r.status_code == 200 and a_run in r.text


@pytest.mark.parametrize("header", [_basic("alice", "wrong-key"), _basic("alice", KEY[:-1]), _basic(KEY, ""),
                                    {"Authorization": "Basic !!notbase64!!"},
                                    {"Authorization": "Basic " + base64.b64encode(KEY.encode()).decode()}])
def test_html_page_with_a_wrong_basic_key_is_401(anon: TestClient, header: dict[str, str]) -> None:
    r = anon.get("/dashboard", headers=header)
    assert r.status_code == 401
    assert r.headers["www-authenticate"].startswith("Basic")


def test_json_endpoints_keep_json_401_and_also_take_basic(anon: TestClient) -> None:
    r = anon.get("/runs")
    assert r.status_code == 401
    assert r.headers["content-type"].startswith("application/json") and "API key" in r.json()["error"]
    assert r.headers["www-authenticate"] == "Bearer"
    assert anon.get("/runs", headers=_basic("alice", "nope")).status_code == 401
    assert anon.get("/runs", headers=_basic("alice", KEY)).status_code == 200


def test_the_key_is_never_logged_with_basic(anon: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    import logging

    caplog.set_level(logging.INFO, logger="codi.api.audit")
    anon.get("/dashboard", headers=_basic("alice", "guessed-key"))
    anon.post("/lint", json={"dockerfile": "FROM alpine:3.20\n"}, headers=_basic("alice", KEY))
    assert "auth.denied" in caplog.text
    assert "guessed-key" not in caplog.text and KEY not in caplog.text
