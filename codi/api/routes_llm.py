"""POST /llm/rank and /llm/explain: codi.service.assist over a past run or a fresh dry run."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request

from codi.api.models import AssistBody, ExplainResponse, RankResponse
from codi.api.routes_project import project_paths, settings_of
from codi.api.security import run_dir
from codi.service.errors import InputError

router = APIRouter(tags=["llm"])


def _inputs(body: AssistBody, request: Request) -> tuple[Any, Any, list[Any], str]:
    """(RunRecord, MetricsRecord, findings, Dockerfile text) of ``run_id`` or of a dry run of the project."""
    from codi.artifacts.models import FindingRecord, MetricsRecord, RunRecord

    settings = settings_of(request)
    if body.run_id:
        folder = run_dir(settings.runs_root, body.run_id)
        meta = folder / "metadata"
        try:
            record = RunRecord.model_validate_json((meta / "run.json").read_text(encoding="utf-8"))
            metrics = MetricsRecord.model_validate_json((meta / "metrics.json").read_text(encoding="utf-8"))
            analysis = json.loads((meta / "analysis.json").read_text(encoding="utf-8"))
            findings = [FindingRecord.model_validate(f) for f in analysis.get("findings", [])]
            text = (folder / "inputs" / "Dockerfile").read_text(encoding="utf-8", errors="surrogateescape")
        except (OSError, ValueError) as exc:
            raise InputError(f"run {body.run_id} cannot be read: {str(exc).splitlines()[0]}") from None
        return record, metrics, findings, text
    from codi.service.analyze import analyze
    from codi.service.candidates import finding_record
    from codi.service.run import RunOptions, run_project

    project, dockerfile = project_paths(body, settings)
    result = run_project(project, RunOptions(out=settings.runs_root, dockerfile=dockerfile, stack=body.stack_hint,
                                             candidate_limit=body.candidate_limit, dry_run=True, llm=False, rag=False))
    a = analyze(project, dockerfile, body.stack_hint, None)
    return result.record, result.metrics, [finding_record(f) for f in a.findings], a.text


def _assist(body: AssistBody, request: Request, explain: bool) -> Any:
    from codi.service.assist import AssistOptions, assist

    record, metrics, findings, text = _inputs(body, request)
    options = AssistOptions(out=settings_of(request).runs_root, llm=body.llm, rag=body.rag, limit=body.limit,
                            explain=explain)
    result = assist(record, metrics, findings, text, options)
    request.app.state.metrics.observe_llm(result.llm_metrics)
    return result


@router.post("/llm/rank", response_model=RankResponse, summary="Rank candidates (deterministic score first)")
def rank(body: AssistBody, request: Request) -> RankResponse:
    result = _assist(body, request, explain=False)
    data = result.rank_json()
    if body.limit:
        data["ranking"] = data["ranking"][: body.limit]
    return RankResponse(**data)


@router.post("/llm/explain", response_model=ExplainResponse, summary="Explain candidates in plain words")
def explain(body: AssistBody, request: Request) -> ExplainResponse:
    return ExplainResponse(**_assist(body, request, explain=True).explain_json())
