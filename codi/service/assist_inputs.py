"""What ``assist`` reads, from a run directory or from a dry run of a project (``codi llm rank|explain``, the API)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from codi.artifacts.models import FindingRecord, MetricsRecord, RunRecord
from codi.service.candidates import finding_record
from codi.service.run import RunOptions, run_project


@dataclass(slots=True)
class AssistInputs:
    """What ``assist`` reads: a run's record and numbers, the original's findings and Dockerfile text."""

    record: RunRecord
    metrics: MetricsRecord
    findings: list[FindingRecord]
    text: str


def inputs_from_run(folder: Path) -> AssistInputs:
    """The inputs of a run directory written by ``codi run`` (OSError/ValueError when unreadable)."""
    meta = folder / "metadata"
    record = RunRecord.model_validate_json((meta / "run.json").read_text(encoding="utf-8"))
    metrics = MetricsRecord.model_validate_json((meta / "metrics.json").read_text(encoding="utf-8"))
    analysis = json.loads((meta / "analysis.json").read_text(encoding="utf-8"))
    findings = [FindingRecord.model_validate(f) for f in analysis.get("findings", [])]
    text = (folder / record.inputs.get("Dockerfile", "inputs/Dockerfile")).read_text(
        encoding="utf-8", errors="surrogateescape")
    return AssistInputs(record, metrics, findings, text)


def inputs_from_project(project: Path, dockerfile: str | None = None, stack: str | None = None,
                        candidate_limit: int | None = None) -> AssistInputs:
    """The inputs of a dry run of ``project``: the same candidates and numbers ``codi run`` would have."""
    options = RunOptions(dockerfile=dockerfile, stack=stack, dry_run=True, llm=False, rag=False)
    if candidate_limit is not None:
        options.candidate_limit = candidate_limit
    result = run_project(project, options)
    a = result.analysis  # the run's own analysis: the original is parsed and linted once
    assert a is not None  # run_project always returns it
    return AssistInputs(result.record, result.metrics, [finding_record(f) for f in a.findings], a.text)
