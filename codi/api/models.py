"""Request and response bodies of the API (pydantic; they also make the OpenAPI document)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from codi.artifacts.models import CandidateRecord, FindingRecord, MetricsRecord, RunRecord


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")  # a misspelt field is a 422, not silently ignored


class ErrorBody(BaseModel):
    error: str
    detail: Any = None


class LlmStatus(BaseModel):
    enabled: bool
    endpoint: str | None = None
    status: str


class Health(BaseModel):
    status: Literal["ok"] = "ok"
    version: str
    ruleset_version: str | None
    llm: LlmStatus
    auth: bool
    checks: dict[str, str] = Field(default_factory=dict,
                                   description="Cheap doctor checks (liveness): name -> ok, warn or fail")


class LintBody(Strict):
    dockerfile: str = Field(description="The Dockerfile text.")
    path: str = Field("Dockerfile", description="Name shown in findings (nothing is read from disk).")
    select: list[str] | None = None
    extend_select: list[str] = Field(default_factory=list)
    ignore: list[str] = Field(default_factory=list)
    failure_threshold: Literal["error", "warning", "info", "style", "none"] | None = None


class Finding(BaseModel):
    code: str
    name: str
    level: str
    message: str
    file: str
    line: int
    column: int
    end_line: int
    end_column: int
    fixable: bool


class LintResponse(BaseModel):
    findings: list[Finding]
    errors: list[str]
    failed: bool = Field(description="A finding reached the failure threshold, or the lint failed inside CODI "
                                     "(`errors` says how): the CLI would exit non-zero. Never false after an error.")


class FixBody(Strict):
    dockerfile: str
    path: str = "Dockerfile"
    unsafe: bool = Field(False, description="Also apply unsafe fixes (like --unsafe-fixes).")
    select: list[str] | None = None
    ignore: list[str] = Field(default_factory=list)
    risk_policy: Literal["conservative", "balanced", "aggressive"] | None = Field(
        None, description="What may be applied without asking (default CODI_RISK_POLICY); capped at the "
                          "server's CODI_RISK_POLICY_MAX (default balanced).")


class FixItem(BaseModel):
    code: str
    line: int
    description: str
    applicability: str
    reason: str = ""


class FixResponse(BaseModel):
    changed: bool
    fixed: str
    diff: str
    applied: list[FixItem]
    dropped: list[FixItem]
    remaining: list[Finding]
    risk_policy: dict[str, Any] | None = Field(None, description="The policy in effect: policy, default, "
                                                                 "requested, cap, capped, override.")
    proposed: list[Finding] = Field(default_factory=list, description="Fixable findings the policy left unapplied.")
    errors: list[str] = Field(default_factory=list, description="Internal errors of the lint (fixes are then "
                                                                "not applied: nothing could verify them).")
    failed: bool = Field(False, description="A remaining finding reached the failure threshold, or the lint "
                                            "failed inside CODI: the CLI would exit non-zero.")


class ProjectBody(Strict):
    project_path: str
    dockerfile_path: str | None = Field(None, description="Relative to the project, or absolute.")
    stack_hint: str | None = None
    candidate_limit: int = Field(3, ge=1, le=50)
    llm: bool = True


class ReportBody(ProjectBody):
    project_path: str | None = None  # type: ignore[assignment]
    run_id: str | None = Field(None, description="Re-render this run instead of running the project.")


class AnalyzeResponse(BaseModel):
    project: str
    dockerfile: str
    stack: str
    detection: dict[str, Any]
    stages: list[dict[str, Any]]
    findings: list[FindingRecord]
    errors: list[str] = Field(default_factory=list, description="Internal errors of the lint: its findings are "
                                                                "incomplete.")
    failed: bool = Field(False, description="The lint failed inside CODI (`errors`): never a clean pass.")


class RewriteCandidate(BaseModel):
    candidate: CandidateRecord
    dockerfile: str


class RewriteResponse(BaseModel):
    candidates: list[RewriteCandidate]
    rejected: list[dict[str, str]]
    notes: list[str]


class RunResponse(BaseModel):
    run_id: str
    run: RunRecord
    metrics: MetricsRecord
    report_url: str


class JobResponse(BaseModel):
    job_id: str
    kind: str
    state: Literal["queued", "running", "done", "failed"]
    created_at: str
    started_at: str | None = None
    finished_at: str | None = None
    result: RunResponse | None = None
    error: str | None = None
    url: str


class RunSummary(BaseModel):
    run_id: str
    stack: str
    project_name: str
    created_at: str
    candidate_count: int
    best_candidate: dict[str, Any] | None
    report_url: str


class RunList(BaseModel):
    runs: list[RunSummary]
    skipped: list[dict[str, str]]


class RunDetail(BaseModel):
    run: RunRecord
    metrics: MetricsRecord


class ReportResponse(BaseModel):
    run_id: str
    report_url: str
    markdown: str


class AssistBody(ProjectBody):
    project_path: str | None = None  # type: ignore[assignment]
    run_id: str | None = Field(None, description="Rank/explain this past run instead of a fresh dry run.")
    limit: int | None = Field(None, ge=1, le=50)
    rag: bool = True


class RankResponse(BaseModel):
    mode: str
    ranking: list[dict[str, Any]]
    rationale: str
    llm_metrics: dict[str, Any]


class ExplainResponse(BaseModel):
    summary: str
    rationale: str
    candidates: list[dict[str, Any]]
    llm_metrics: dict[str, Any]
