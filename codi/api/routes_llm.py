"""POST /llm/rank and /llm/explain: codi.service.assist over a past run or a fresh dry run."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from codi.api.models import AssistBody, ExplainResponse, RankResponse
from codi.api.routes_project import project_paths, settings_of
from codi.api.security import run_dir
from codi.service.errors import InputError

router = APIRouter(tags=["llm"])


def _inputs(body: AssistBody, request: Request) -> Any:
    """AssistInputs of ``run_id``, or of a dry run of the project (the candidates `codi run` would offer)."""
    from codi.service.assist_inputs import inputs_from_project, inputs_from_run

    settings = settings_of(request)
    if body.run_id:
        try:
            return inputs_from_run(run_dir(settings.runs_root, body.run_id))
        except (OSError, ValueError) as exc:
            raise InputError(f"run {body.run_id} cannot be read: {str(exc).splitlines()[0]}") from None
    project, dockerfile = project_paths(body, settings)
    return inputs_from_project(project, dockerfile, body.stack_hint, body.candidate_limit)


def _assist(body: AssistBody, request: Request, explain: bool) -> Any:
    from codi.service.assist import AssistOptions, assist

    given = _inputs(body, request)
    options = AssistOptions(out=settings_of(request).runs_root, llm=body.llm, rag=body.rag, limit=body.limit,
                            explain=explain)
    result = assist(given.record, given.metrics, given.findings, given.text, options)
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
