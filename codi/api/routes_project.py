"""Project endpoints: analyze, rewrite, run (optionally in the background) and report."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from codi.api.models import (
    AnalyzeResponse,
    JobResponse,
    ProjectBody,
    ReportBody,
    ReportResponse,
    RewriteCandidate,
    RewriteResponse,
    RunResponse,
)
from codi.api.security import confine, run_dir
from codi.api.settings import ApiSettings
from codi.service.errors import InputError

router = APIRouter(tags=["project"])
audit = logging.getLogger("codi.api.audit")


def settings_of(request: Request) -> ApiSettings:
    settings: ApiSettings = request.app.state.settings
    return settings


def key_of(request: Request) -> str:
    return str(request.scope.get("state", {}).get("key_id", "open"))


def project_paths(body: ProjectBody, settings: ApiSettings) -> tuple[Path, str | None]:
    """(project, dockerfile) resolved and confined to the allowed roots (Forbidden otherwise)."""
    if body.project_path is None:
        raise InputError("project_path is required")
    project = confine(body.project_path, settings.allowed_roots)
    dockerfile = None
    if body.dockerfile_path:
        dockerfile = str(confine(body.dockerfile_path, settings.allowed_roots, base=project))
    return project, dockerfile


@router.post("/analyze", response_model=AnalyzeResponse, summary="Parse, lint and detect the stack of a project")
def analyze(body: ProjectBody, request: Request) -> AnalyzeResponse:
    from codi.service.analyze import analyze as run_analyze
    from codi.service.candidates import finding_record

    project, dockerfile = project_paths(body, settings_of(request))
    a = run_analyze(project, dockerfile, body.stack_hint, None)
    return AnalyzeResponse(
        project=str(a.project), dockerfile=a.dockerfile_rel, stack=a.detection.stack, detection=a.detection.model_dump(mode="json"),
        stages=[{"index": s.index, "name": s.name, "base": s.base, "line": s.from_instr.start_line}
                for s in a.model.stages],
        findings=[finding_record(f) for f in a.findings], errors=list(a.linter.errors), failed=a.linter.failed)


@router.post("/rewrite", response_model=RewriteResponse, summary="Verified candidate Dockerfiles (nothing written)")
def rewrite(body: ProjectBody, request: Request) -> RewriteResponse:
    from codi.service.rewrite import rewrite as run_rewrite

    project, dockerfile = project_paths(body, settings_of(request))
    cands = run_rewrite(project, dockerfile, body.stack_hint, None, None, body.candidate_limit)
    return RewriteResponse(candidates=[RewriteCandidate(candidate=b.record, dockerfile=b.text) for b in cands.built],
                           rejected=[{"rule_id": r.rule_id, "reason": r.reason} for r in cands.rejected],
                           notes=list(cands.notes))


def do_run(request: Request, body: ProjectBody) -> RunResponse:
    from codi.service.run import RunOptions, run_project

    settings = settings_of(request)
    project, dockerfile = project_paths(body, settings)
    options = RunOptions(out=settings.runs_root, dockerfile=dockerfile, stack=body.stack_hint,
                         candidate_limit=body.candidate_limit, llm=body.llm, actor=f"api-key:{key_of(request)}")
    metrics = request.app.state.metrics
    try:
        result = run_project(project, options)
    except Exception:
        metrics.observe_run("failed")
        raise
    metrics.observe_run("ok")
    audit.info("run.finished key=%s run_id=%s project=%s", key_of(request), result.run_id, project)
    answer = RunResponse(run_id=result.run_id, run=result.record, metrics=result.metrics,
                         report_url=f"/runs/{result.run_id}/report.html")
    from codi.telemetry.redact import redact_data

    # The answer describes the run (the candidates' diffs quote the Dockerfile): redacted like run.json.
    return RunResponse.model_validate(redact_data(answer.model_dump(mode="json")))


def job_response(job: Any) -> JobResponse:
    return JobResponse(job_id=job.id, kind=job.kind, state=job.state, created_at=job.created_at,
                       started_at=job.started_at, finished_at=job.finished_at, result=job.result, error=job.error,
                       url=f"/jobs/{job.id}")


@router.post("/run", response_model=RunResponse | JobResponse,
             summary="Run a project: candidates, numbers, run directory and reports",
             responses={202: {"model": JobResponse, "description": "background=true: the job to poll"}})
def run(body: ProjectBody, request: Request, background: bool = False) -> Any:
    if not background:
        return do_run(request, body)
    project_paths(body, settings_of(request))  # refuse bad paths now, not later in the job
    from codi.api.errors import describe

    job = request.app.state.jobs.submit("run", lambda: do_run(request, body), describe)
    audit.info("job.submitted key=%s job=%s kind=run", key_of(request), job.id)
    return JSONResponse(job_response(job).model_dump(mode="json"), status_code=202)


@router.post("/report", response_model=ReportResponse, summary="Run a project (or take run_id) and render its reports")
def report(body: ReportBody, request: Request) -> ReportResponse:
    from codi.report.render import render_reports

    settings = settings_of(request)
    if body.run_id:
        folder = run_dir(settings.runs_root, body.run_id)
        run_id = body.run_id
    else:
        result = do_run(request, body)
        run_id = result.run_id
        folder = settings.runs_root / run_id
    md, _ = render_reports(folder)
    return ReportResponse(run_id=run_id, report_url=f"/runs/{run_id}/report.html",
                          markdown=md.read_text(encoding="utf-8"))
