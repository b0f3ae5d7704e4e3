"""The endpoints do what the CLI does, over HTTP, and honour every field."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from codi.artifacts.rundir import RUN_ID_RE

UNPINNED = "FROM ubuntu\nRUN apt-get update && apt-get install -y curl\nMAINTAINER someone\n"


def test_lint_takes_text(client: TestClient) -> None:
    r = client.post("/lint", json={"dockerfile": UNPINNED, "path": "svc/Dockerfile"})
    assert r.status_code == 200
    body = r.json()
    codes = {f["code"] for f in body["findings"]}
    assert {"DL3006", "DL4000"} <= codes
    assert all(f["file"] == "svc/Dockerfile" for f in body["findings"])
    dl3006 = next(f for f in body["findings"] if f["code"] == "DL3006")
    assert dl3006["line"] == 1 and dl3006["level"] == "warning"


def test_text_lint_ignores_config_files_around_the_server(client: TestClient, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    # Regression: text sent to /lint and /fix picked up .codi.toml from the server's working directory.
    (tmp_path / ".codi.toml").write_text('ignore = ["DL3006"]\n')
    monkeypatch.chdir(tmp_path)
    codes = {f["code"] for f in client.post("/lint", json={"dockerfile": UNPINNED}).json()["findings"]}
    assert "DL3006" in codes


def test_lint_honours_selection_and_threshold(client: TestClient) -> None:
    only = client.post("/lint", json={"dockerfile": UNPINNED, "select": ["DL3006"]}).json()
    assert {f["code"] for f in only["findings"]} == {"DL3006"}
    ignored = client.post("/lint", json={"dockerfile": UNPINNED, "ignore": ["DL3006"]}).json()
    assert "DL3006" not in {f["code"] for f in ignored["findings"]}
    warnings_only = "FROM ubuntu\nUSER nobody\n"
    assert client.post("/lint", json={"dockerfile": warnings_only, "failure_threshold": "error"}).json()["failed"] is False
    assert client.post("/lint", json={"dockerfile": warnings_only, "failure_threshold": "warning"}).json()["failed"] is True
    r = client.post("/lint", json={"dockerfile": UNPINNED, "select": ["NOPE123"]})
    assert r.status_code == 400 and "NOPE123" in r.json()["error"]


def test_fix_returns_fixed_text_and_diff(client: TestClient) -> None:
    r = client.post("/fix", json={"dockerfile": UNPINNED, "path": "Dockerfile"})
    assert r.status_code == 200
    body = r.json()
    assert body["changed"] is True
    assert 'LABEL maintainer="someone"' in body["fixed"] and "MAINTAINER" not in body["fixed"]
    assert "-MAINTAINER someone" in body["diff"] and body["diff"].startswith("--- a/Dockerfile")
    assert "DL4000" in {a["code"] for a in body["applied"]}
    assert "DL4000" not in {f["code"] for f in body["remaining"]}
    again = client.post("/fix", json={"dockerfile": body["fixed"]}).json()
    assert again["changed"] is False and again["diff"] == ""


def test_unsafe_fixes_only_on_request(client: TestClient) -> None:
    text = "FROM ubuntu:22.04\nRUN apt-get -y install curl=7.81.0-1\n"
    safe = client.post("/fix", json={"dockerfile": text}).json()
    unsafe = client.post("/fix", json={"dockerfile": text, "unsafe": True}).json()
    assert "--no-install-recommends" not in safe["fixed"]
    assert "--no-install-recommends" in unsafe["fixed"]


def test_analyze_honours_fields(client: TestClient, roots: dict[str, Path]) -> None:
    project = roots["allowed"] / "pyproj"
    body = client.post("/analyze", json={"project_path": str(project)}).json()
    assert body["stack"] == "python" and body["dockerfile"] == "Dockerfile"
    hinted = client.post("/analyze", json={"project_path": str(project), "stack_hint": "node"}).json()
    assert hinted["stack"] == "node"
    (project / "alt.Dockerfile").write_text("FROM python:3.12-slim\nCMD [\"python\"]\n")
    alt = client.post("/analyze", json={"project_path": str(project), "dockerfile_path": "alt.Dockerfile"}).json()
    assert alt["dockerfile"] == "alt.Dockerfile" and len(alt["stages"]) == 1
    missing = client.post("/analyze", json={"project_path": str(roots["allowed"] / "nothing")})
    assert missing.status_code == 400 and "no such project" in missing.json()["error"]


def test_rewrite_returns_candidates(client: TestClient, roots: dict[str, Path]) -> None:
    r = client.post("/rewrite", json={"project_path": str(roots["allowed"] / "nodeproj"), "candidate_limit": 1})
    assert r.status_code == 200
    cands = r.json()["candidates"]
    assert len(cands) == 1 and cands[0]["dockerfile"].startswith(("FROM", "#", "ARG", "# syntax"))


def test_run_and_read_it_back(client: TestClient, a_run: str, roots: dict[str, Path]) -> None:
    assert RUN_ID_RE.match(a_run)
    assert (roots["runs"] / a_run / "metadata" / "run.json").is_file()
    listed = client.get("/runs").json()["runs"]
    assert a_run in {r["run_id"] for r in listed}
    detail = client.get(f"/runs/{a_run}").json()
    assert detail["run"]["run_id"] == a_run and detail["run"]["stack"] == "python"
    assert "original" in detail["metrics"]
    page = client.get(f"/runs/{a_run}/report.html")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert a_run in page.text and "default-src 'none'" in page.headers["content-security-policy"]


def test_run_honours_limit_stack_and_llm(client: TestClient, roots: dict[str, Path]) -> None:
    r = client.post("/run", json={"project_path": str(roots["allowed"] / "nodeproj"), "candidate_limit": 1,
                                  "llm": False, "stack_hint": "node"})
    body = r.json()
    assert len(body["run"]["candidates"]) <= 1
    assert body["run"]["options"]["llm"] is False and body["run"]["options"]["candidate_limit"] == 1
    assert body["run"]["stack"] == "node" and body["report_url"].endswith("/report.html")


def test_background_run_and_job_state(client: TestClient, roots: dict[str, Path]) -> None:
    r = client.post("/run?background=true", json={"project_path": str(roots["allowed"] / "pyproj"), "llm": False})
    assert r.status_code == 202
    job = r.json()
    assert job["state"] in ("queued", "running") and job["url"] == f"/jobs/{job['job_id']}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        state = client.get(job["url"]).json()
        if state["state"] in ("done", "failed"):
            break
        time.sleep(0.1)
    assert state["state"] == "done", state
    assert RUN_ID_RE.match(state["result"]["run_id"])
    bad = client.post("/run?background=true", json={"project_path": "/etc"})
    assert bad.status_code == 403  # refused before a job is made


def test_parallel_runs_never_clobber(client: TestClient, roots: dict[str, Path]) -> None:
    body = {"project_path": str(roots["allowed"] / "pyproj"), "llm": False, "candidate_limit": 1}
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: client.post("/run", json=body), range(4)))
    ids = [r.json()["run_id"] for r in results]
    assert len(set(ids)) == 4
    for run_id in ids:
        assert client.get(f"/runs/{run_id}").json()["run"]["run_id"] == run_id


def test_report_by_run_id(client: TestClient, a_run: str) -> None:
    r = client.post("/report", json={"run_id": a_run})
    assert r.status_code == 200
    assert a_run in r.json()["markdown"] and r.json()["report_url"] == f"/runs/{a_run}/report.html"
    assert client.post("/report", json={}).status_code == 400


def test_llm_rank_and_explain_without_model(client: TestClient, a_run: str) -> None:
    rank = client.post("/llm/rank", json={"run_id": a_run, "llm": False, "rag": False})
    assert rank.status_code == 200, rank.text
    assert rank.json()["mode"] == "deterministic"
    assert "disabled" in (rank.json()["llm_metrics"]["fallback_reason"] or "") or len(rank.json()["ranking"]) < 2
    explain = client.post("/llm/explain", json={"run_id": a_run, "llm": False, "rag": False})
    assert explain.status_code == 200 and explain.json()["summary"]


def test_metrics_count_requests_and_runs(client: TestClient, a_run: str) -> None:
    client.post("/lint", json={"dockerfile": "FROM alpine:3.20\n"})
    text = client.get("/metrics").text
    assert 'codi_http_requests_total{method="POST",route="/lint",status="200"}' in text
    assert 'codi_http_request_duration_seconds_count{route="/lint"}' in text
    ok_runs = next(line for line in text.splitlines() if line.startswith('codi_runs_total{outcome="ok"}'))
    assert int(ok_runs.split()[-1]) >= 1
    assert "codi_llm_tokens_total" in text and "codi_llm_fallbacks_total" in text


def test_dashboard_page_is_served(client: TestClient, a_run: str) -> None:
    r = client.get("/dashboard")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert a_run in r.text and f"/runs/{a_run}/report.html" in r.text
    assert "http://" not in r.text.replace("http://www.w3.org/2000/svg", "")


def test_openapi_lists_every_endpoint(client: TestClient) -> None:
    paths = set(client.get("/openapi.json").json()["paths"])
    assert {"/healthz", "/lint", "/fix", "/analyze", "/rewrite", "/run", "/report", "/runs", "/runs/{run_id}",
            "/runs/{run_id}/report.html", "/jobs/{job_id}", "/metrics", "/dashboard", "/llm/rank",
            "/llm/explain"} <= paths
