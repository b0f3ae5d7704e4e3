"""What every kind of candidate draft shares: the draft itself, the candidate set, the stage that is built."""

from __future__ import annotations

from dataclasses import dataclass, field

from codi.artifacts.models import CandidateRecord, RejectedCandidate
from codi.optimise.contract import DeclaredChange
from codi.optimise.estimate import Estimate
from codi.optimise.review import DeclaredBaseChange
from codi.parser.semantic import Model, Stage
from codi.service.analyze import Analysis

# What CODI's own fixes may change in the runtime contract, and how risky that is.
FIX_CHANGES = [
    DeclaredChange(field="cmd", key="exec-form", risk="low", reason="exec form: the app gets signals directly (same words)"),
    DeclaredChange(field="entrypoint", key="exec-form", risk="low",
                   reason="exec form: the app gets signals directly (same words)"),
    DeclaredChange(field="label_keys", risk="low", reason="MAINTAINER becomes a LABEL"),
    DeclaredChange(field="shell", risk="low", reason="SHELL with pipefail: a RUN pipeline fails when any stage of it "
                                                     "fails (DL4006); the command's own form is checked apart"),
]


@dataclass(slots=True)
class BuiltCandidate:
    record: CandidateRecord
    text: str
    estimate: Estimate


@dataclass(slots=True)
class CandidateSet:
    built: list[BuiltCandidate] = field(default_factory=list)
    rejected: list[RejectedCandidate] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Draft:
    rule_id: str
    kind: str
    title: str
    description: str
    risk: str
    base: str | None
    notes: list[str]
    text: str
    declared: list[DeclaredChange]
    base_changes: list[DeclaredBaseChange] = field(default_factory=list)  # tag changes made on purpose


def candidate_stage(model: Model, analysis: Analysis, kind: str) -> Stage | None:
    """The stage of a candidate that is built: the original's target (same name or index) for edits of
    the original, the last stage for templates."""
    target = analysis.target
    if kind in {"fixed", "tuned"} and target is not None:
        if target.name:
            return model.stage_by_ref(target.name) or model.final_stage
        return model.stages[target.index] if target.index < len(model.stages) else model.final_stage
    return model.final_stage


def edit_model(analysis: Analysis, start: str) -> tuple[Model, Stage] | None:
    """The model of an edit of the original (its text ``start``) and the stage that is built."""
    if analysis.target is None:
        return None
    analysis.texts.checked(start)
    model = analysis.texts.model(start, analysis.build_args)
    target = candidate_stage(model, analysis, "tuned")
    return (model, target) if target is not None else None
