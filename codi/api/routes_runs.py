"""Read-side endpoints: health, runs, reports, jobs, metrics and the dashboard page."""

from __future__ import annotations

import os
from functools import lru_cache

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, PlainTextResponse

from codi import __version__
from codi.api.models import Health, JobResponse, LlmStatus, RunDetail, RunList, RunSummary
from codi.api.routes_project import job_response, settings_of
from codi.api.security import NotFound, run_dir
from codi.artifacts.models import MetricsRecord, RunRecord
from codi.config.flags import llm_enabled

router = APIRouter()
# The report page links nothing outside itself; this keeps any text in it inert.
REPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
DASHBOARD_CSP = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:"


@lru_cache(maxsize=1)
def _ruleset_version() -> str | None:
    from codi.optimise.catalog import CatalogError, load_catalog

    try:
        return load_catalog(None).ruleset_version
    except CatalogError:
        return None


def _llm_status() -> LlmStatus:
    enabled = llm_enabled()
    endpoint = os.environ.get("LLM_ENDPOINT") or None
    if not enabled:
        status = "disabled"
    elif endpoint:
        status = "endpoint configured"
    else:
        status = "embedded model or deterministic fallback"
    return LlmStatus(enabled=enabled, endpoint=endpoint, status=status)


@router.get("/healthz", response_model=Health, tags=["service"], summary="Liveness (no key needed)")
def healthz(request: Request) -> Health:
    from codi.ops.readiness import liveness

    settings = settings_of(request)
    return Health(version=__version__, ruleset_version=_ruleset_version(), llm=_llm_status(),
                  auth=bool(settings.keys), checks=liveness(settings.runs_root))


@router.get("/runs", response_model=RunList, tags=["runs"], summary="Runs under the runs root, newest first")
def runs(request: Request) -> RunList:
    from codi.dashboard.dataset import runs_listing

    data = runs_listing(settings_of(request).runs_root)
    return RunList(runs=[RunSummary(run_id=r["run_id"], stack=r["stack"], project_name=r["project_name"],
                                    created_at=r["created_at"], candidate_count=r["candidate_count"],
                                    best_candidate=r["best_candidate"],
                                    report_url=f"/runs/{r['run_id']}/report.html") for r in data["runs"]],
                   skipped=data["skipped"])


@router.get("/runs/{run_id}", response_model=RunDetail, tags=["runs"], summary="run.json and metrics.json of a run")
def run_detail(run_id: str, request: Request) -> RunDetail:
    folder = run_dir(settings_of(request).runs_root, run_id)
    try:
        run = RunRecord.model_validate_json((folder / "metadata" / "run.json").read_text(encoding="utf-8"))
        metrics = MetricsRecord.model_validate_json((folder / "metadata" / "metrics.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise NotFound(f"run {run_id} cannot be read: {str(exc).splitlines()[0]}") from None
    return RunDetail(run=run, metrics=metrics)


@router.get("/runs/{run_id}/report.html", response_class=HTMLResponse, tags=["runs"], summary="A run's HTML report")
def run_report(run_id: str, request: Request) -> HTMLResponse:
    folder = run_dir(settings_of(request).runs_root, run_id)
    path = folder / "reports" / "report.html"
    if not path.is_file():
        raise NotFound(f"run {run_id} has no HTML report (POST /report with its run_id renders one)")
    return HTMLResponse(path.read_text(encoding="utf-8"), headers={"content-security-policy": REPORT_CSP})


@router.get("/jobs/{job_id}", response_model=JobResponse, tags=["runs"], summary="State of a background job")
def job(job_id: str, request: Request) -> JobResponse:
    found = request.app.state.jobs.get(job_id)
    if found is None:
        raise NotFound(f"no job {job_id!r}")
    return job_response(found)


@router.get("/metrics", response_class=PlainTextResponse, tags=["service"], summary="Prometheus metrics")
def metrics(request: Request) -> PlainTextResponse:
    return PlainTextResponse(request.app.state.metrics.render(), media_type="text/plain; version=0.0.4")


@router.get("/dashboard", response_class=HTMLResponse, tags=["runs"], summary="The dashboard page of all runs")
def dashboard(request: Request) -> HTMLResponse:
    from codi.dashboard.dataset import build_dataset
    from codi.dashboard.page import render_page

    data = build_dataset(settings_of(request).runs_root)
    for row in data["runs"]:  # links served by this API, not file paths of the server
        row["paths"] = {"report_html": f"/runs/{row['run_id']}/report.html" if row["paths"]["report_html"] else None}
    for report in data["lint"]:  # the file name, not where it lies on the server
        report["path"] = report["source"]
    data["runs_root"] = "this server"
    data["skipped"] = [{"path": os.path.basename(s["path"]), "reason": s["reason"]} for s in data["skipped"]]
    return HTMLResponse(render_page(data), headers={"content-security-policy": DASHBOARD_CSP})
