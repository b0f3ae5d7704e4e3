"""Keys, path confinement, run-id checks, body cap and error shapes."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from apikit import KEY, OTHER_KEY, make_settings
from fastapi.testclient import TestClient

from codi.api.app import create_app
from codi.api.security import key_id

PROTECTED = [("get", "/runs"), ("get", "/metrics"), ("get", "/openapi.json"),
             ("post", "/lint"), ("post", "/run"), ("get", "/jobs/abc"), ("get", "/nowhere")]


def test_healthz_is_open(anon: TestClient) -> None:
    r = anon.get("/healthz")
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "ok" and body["version"] and body["auth"] is True
    assert "ruleset_version" in body and "status" in body["llm"]


@pytest.mark.parametrize(("method", "path"), PROTECTED)
def test_every_other_endpoint_needs_a_key(anon: TestClient, method: str, path: str) -> None:
    r = anon.request(method.upper(), path, json={"dockerfile": "FROM alpine:3.20\n"})
    assert r.status_code == 401
    assert "API key" in r.json()["error"]


def test_wrong_key_and_wrong_scheme_are_refused(anon: TestClient) -> None:
    assert anon.get("/runs", headers={"Authorization": "Bearer nope"}).status_code == 401
    assert anon.get("/runs", headers={"X-API-Key": KEY[:-1]}).status_code == 401
    assert anon.get("/runs", headers={"Authorization": f"Basic {KEY}"}).status_code == 401


def test_bearer_and_x_api_key_and_several_keys(anon: TestClient) -> None:
    assert anon.get("/runs", headers={"Authorization": f"Bearer {KEY}"}).status_code == 200
    assert anon.get("/runs", headers={"X-API-Key": OTHER_KEY}).status_code == 200


def test_audit_log_names_the_key_id_never_the_key(anon: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="codi.api.audit")
    anon.post("/lint", json={"dockerfile": "FROM alpine:3.20\n"}, headers={"X-API-Key": OTHER_KEY})
    anon.get("/runs", headers={"X-API-Key": "guess"})
    text = caplog.text
    assert key_id(OTHER_KEY) in text
    assert "auth.denied" in text
    assert OTHER_KEY not in text and "guess" not in text


def test_project_outside_allowed_roots_is_403(client: TestClient, roots: dict[str, Path]) -> None:
    outside = roots["outside"] / "goproj"
    dotdot = roots["allowed"] / ".." / "outside" / "goproj"
    for path in (outside, dotdot, roots["allowed"] / "escape", Path("/etc")):
        for endpoint in ("/analyze", "/run", "/rewrite"):
            r = client.post(endpoint, json={"project_path": str(path)})
            assert r.status_code == 403, (endpoint, path, r.text)
            assert "allowed roots" in r.json()["error"]


def test_dockerfile_path_is_confined_too(client: TestClient, roots: dict[str, Path]) -> None:
    project = roots["allowed"] / "pyproj"
    for df in ("../../outside/goproj/Dockerfile", str(roots["outside"] / "goproj" / "Dockerfile"), "/etc/passwd"):
        r = client.post("/analyze", json={"project_path": str(project), "dockerfile_path": df})
        assert r.status_code == 403, (df, r.text)


def test_run_ids_are_validated(client: TestClient) -> None:
    for path in ("/runs/..%2F..%2Fetc", "/runs/20260101T000000Z-python-nothing", "/runs/x/report.html",
                 "/runs/20260101T000000Z-python-nothing/report.html", "/runs/..", "/jobs/unknown"):
        r = client.get(path)
        assert r.status_code == 404, (path, r.text)
        assert r.headers["content-type"].startswith("application/json")
    r = client.post("/report", json={"run_id": "../../etc"})
    assert r.status_code == 404


def test_body_cap_gives_413(roots: dict[str, Path]) -> None:
    with TestClient(create_app(make_settings(roots, max_body=1024)), raise_server_exceptions=False) as small:
        small.headers["X-API-Key"] = KEY
        r = small.post("/lint", json={"dockerfile": "FROM alpine:3.20\n" + "# pad\n" * 400})
        assert r.status_code == 413
        assert "larger than 1024" in r.json()["error"]
        assert small.post("/lint", json={"dockerfile": "FROM alpine:3.20\n"}).status_code == 200


def test_default_cap_is_8_mib(client: TestClient) -> None:
    r = client.post("/lint", content=b"x" * (8 * 1024 * 1024 + 1), headers={"content-type": "application/json"})
    assert r.status_code == 413


@pytest.mark.parametrize("body", [b"{not json", b'{"dockerfile": 5}', b'{"dockerfiel": "FROM x"}', b"[]", b""])
def test_malformed_input_is_422_json(client: TestClient, body: bytes) -> None:
    r = client.post("/lint", content=body, headers={"content-type": "application/json"})
    assert r.status_code == 422
    assert r.json()["error"] == "invalid request"
    assert "Traceback" not in r.text


def test_bad_field_values_are_422(client: TestClient, roots: dict[str, Path]) -> None:
    r = client.post("/run", json={"project_path": str(roots["allowed"] / "pyproj"), "candidate_limit": 0})
    assert r.status_code == 422


def test_internal_errors_never_leak_a_trace(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    import codi.api.routes_text as routes_text

    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("secret detail /srv/internal")

    monkeypatch.setattr(routes_text, "run_lint", boom)
    r = client.post("/lint", json={"dockerfile": "FROM alpine:3.20\n"})
    assert r.status_code == 500
    assert r.json() == {"error": "internal error (see the server log)"}
    assert "secret" not in r.text and "Traceback" not in r.text


def test_no_keys_means_open_api(roots: dict[str, Path]) -> None:
    with TestClient(create_app(make_settings(roots, keys=[]))) as open_client:
        assert open_client.get("/runs").status_code == 200
        assert open_client.get("/healthz").json()["auth"] is False
