"""Pydantic models of every JSON artefact in a run directory (DESIGN.md §4).

Paths inside a run directory are relative to it. Numbers carry ``kind``: "estimated" unless a
real build measured them.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from codi.optimise.contract.model import ContractChange, IntendedChange, RuntimeContract
from codi.optimise.review.model import ReviewCheck, ReviewProblem
from codi.optimise.stack.model import Detection

SCHEMA_VERSION = 1
NumberKind = Literal["estimated", "measured"]


class FindingRecord(BaseModel):
    code: str
    name: str
    level: str
    message: str
    line: int
    column: int
    end_line: int
    end_column: int
    fixable: bool = False


class CandidateRecord(BaseModel):
    id: str  # e.g. "002-python-pip-multistage"
    rule_id: str  # catalog rule id, or "fixed"
    kind: Literal["fixed", "tuned", "multi-stage", "variant"]
    title: str
    description: str
    risk: Literal["low", "medium", "high"]
    path: str  # relative: candidates/NNN-<rule_id>.Dockerfile
    runtime_base: str | None = None
    verified: bool
    resolves: list[str] = Field(default_factory=list)  # "CODE@line" of the original's findings
    findings: list[FindingRecord] = Field(default_factory=list)  # what the candidate itself still has
    notes: list[str] = Field(default_factory=list)
    diff: str = ""  # unified diff against the original
    contract: RuntimeContract | None = None  # the candidate's runtime contract
    contract_changes: list[IntendedChange] = Field(default_factory=list)  # declared differences, with risk
    review: ReviewCheck | None = None  # the review check: pins, base tags, findings, install order, ENV


class RejectedCandidate(BaseModel):
    rule_id: str
    reason: str
    violations: list[ContractChange] = Field(default_factory=list)  # undeclared runtime-contract changes
    review_problems: list[ReviewProblem] = Field(default_factory=list)  # what the review check found


class Recommendation(BaseModel):
    candidate_id: str | None
    reason: str


class RunRecord(BaseModel):
    schema_version: int = SCHEMA_VERSION
    run_id: str
    created_at: str
    finished_at: str | None = None
    status: Literal["ok", "failed"] = "ok"
    project_path: str
    project_name: str
    dockerfile: str  # relative to the project
    stack: str
    codi_version: str
    ruleset_version: str
    inputs: dict[str, str] = Field(default_factory=dict)  # name -> relative path in the run dir
    candidates: list[CandidateRecord] = Field(default_factory=list)
    rejected: list[RejectedCandidate] = Field(default_factory=list)
    recommendation: Recommendation | None = None
    notes: list[str] = Field(default_factory=list)
    options: dict[str, Any] = Field(default_factory=dict)
    target_stage: str | None = None  # the original's stage that is built (name or index)
    contract: RuntimeContract | None = None  # the original's runtime contract


class AnalysisRecord(BaseModel):
    schema_version: int = SCHEMA_VERSION
    dockerfile: str
    detection: Detection
    findings: list[FindingRecord]
    stages: list[dict[str, Any]]
    facts: dict[str, Any]
    errors: list[str] = Field(default_factory=list)  # internal errors of the lint: its findings are incomplete


class EstimatePart(BaseModel):
    """One counted piece of an estimated image (codi.optimise.estimate.Part): the parts add up to the size."""

    kind: Literal["base", "install", "build", "copy", "context"]
    label: str  # the instruction it comes from (FROM/RUN/COPY text, shortened)
    line: int | None = None  # in the Dockerfile the numbers are of
    size_bytes: int | None = None  # None only for a base image not in the size table
    detail: str = ""  # how it was sized: which packages, counted from where, which factors


class ImageNumbers(BaseModel):
    kind: NumberKind = "estimated"
    size_bytes: int | None = None
    layers: int | None = None
    build_seconds: float | None = None
    rebuild_seconds: float | None = None
    image_id: str | None = None
    engine: str | None = None
    smoke: dict[str, Any] | None = None
    basis: list[str] = Field(default_factory=list)
    # The estimate, part by part; kept when a build measured the image (then estimated_size_bytes is their sum).
    parts: list[EstimatePart] = Field(default_factory=list)
    estimated_size_bytes: int | None = None
    # Measured only: the estimate's error in percent of the measured size (+ = too big), with the estimate's
    # base replaced by the base the build used (a stand-in's real size), so the two describe the same image.
    estimate_error_pct: float | None = None


class CandidateNumbers(ImageNumbers):
    candidate_id: str
    size_delta_bytes: int | None = None
    size_delta_pct: float | None = None
    layers_delta: int | None = None


class MetricsRecord(BaseModel):
    schema_version: int = SCHEMA_VERSION
    original: ImageNumbers
    candidates: list[CandidateNumbers] = Field(default_factory=list)
    size_table: dict[str, str] = Field(default_factory=dict)  # source and date of base-image sizes
    base_map: dict[str, str] = Field(default_factory=dict)  # FROM rewrites used by measured builds


class EnvironmentRecord(BaseModel):
    schema_version: int = SCHEMA_VERSION
    codi_version: str
    ruleset_version: str
    ruleset_path: str
    python: str
    platform: str
    config_sources: list[str] = Field(default_factory=list)
    airgap: bool = True
    llm: dict[str, Any] = Field(default_factory=dict)
    engine: dict[str, Any] = Field(default_factory=dict)


ARTIFACT_MODELS: dict[str, type[BaseModel]] = {
    "run": RunRecord,
    "analysis": AnalysisRecord,
    "metrics": MetricsRecord,
    "environment": EnvironmentRecord,
}
