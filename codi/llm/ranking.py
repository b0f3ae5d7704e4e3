"""Deterministic candidate scores, tie groups, and applying a model's order only inside ties."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from codi.artifacts.models import CandidateNumbers, CandidateRecord

TIE_MARGIN = 5.0
RISK_PENALTY = {"low": 0.0, "medium": 15.0, "high": 40.0}
BLOCKED = -1000.0  # failed or unverified: never first


@dataclass(slots=True)
class Scored:
    candidate_id: str
    rule_id: str
    score: float
    eligible: bool  # verified and no failed smoke run
    parts: dict[str, float] = field(default_factory=dict)

    def as_dict(self, rank: int) -> dict[str, object]:
        return {"candidate_id": self.candidate_id, "rule_id": self.rule_id, "score": round(self.score, 2),
                "rank": rank}


def score_candidate(c: CandidateRecord, n: CandidateNumbers | None, rag_bonus: float = 0.0) -> Scored:
    """Size saved (percent), layers and rebuild time saved, findings resolved, risk and past evidence."""
    parts: dict[str, float] = {}
    if n is not None:
        if n.size_delta_pct is not None:
            parts["size"] = -n.size_delta_pct
        if n.layers_delta is not None:
            parts["layers"] = -float(n.layers_delta)
        if n.kind == "measured" and n.rebuild_seconds is not None:
            parts["rebuild"] = -0.5 * n.rebuild_seconds
    parts["resolves"] = 3.0 * len(c.resolves)
    parts["risk"] = -RISK_PENALTY.get(c.risk, 40.0)
    if rag_bonus:
        parts["past_runs"] = rag_bonus
    smoke_failed = bool(n is not None and n.smoke and str(n.smoke.get("status", "")).lower() in {"failed", "error"})
    eligible = c.verified and not smoke_failed
    if not eligible:
        parts["blocked"] = BLOCKED
    return Scored(c.id, c.rule_id, sum(parts.values()), eligible, parts)


def deterministic(cands: Sequence[CandidateRecord], numbers: Mapping[str, CandidateNumbers],
                  rag_bonus: Mapping[str, float] | None = None) -> list[Scored]:
    """Best first; equal scores keep catalog order (candidate id)."""
    bonus = rag_bonus or {}
    scored = [score_candidate(c, numbers.get(c.id), bonus.get(c.rule_id, 0.0)) for c in cands]
    return sorted(scored, key=lambda s: (not s.eligible, -s.score, s.candidate_id))


def tie_groups(ordered: Sequence[Scored], margin: float = TIE_MARGIN) -> list[list[Scored]]:
    """Consecutive runs whose scores are within ``margin`` of the group's best (eligibility must match)."""
    groups: list[list[Scored]] = []
    for s in ordered:
        if groups and groups[-1][0].eligible == s.eligible and groups[-1][0].score - s.score <= margin:
            groups[-1].append(s)
        else:
            groups.append([s])
    return groups


def is_permutation(order: Sequence[str], ids: Sequence[str]) -> bool:
    return len(order) == len(ids) and sorted(order) == sorted(ids)


def apply_model_order(ordered: Sequence[Scored], model_order: Sequence[str],
                      margin: float = TIE_MARGIN) -> list[Scored]:
    """Reorder inside tie groups by the model's order; outside them the deterministic order stands."""
    if not is_permutation(model_order, [s.candidate_id for s in ordered]):
        raise ValueError("model order is not a permutation of the candidate ids")
    position = {cid: i for i, cid in enumerate(model_order)}
    out: list[Scored] = []
    for group in tie_groups(ordered, margin):
        out.extend(sorted(group, key=lambda s: position[s.candidate_id]))
    if out and not out[0].eligible and any(s.eligible for s in out):
        raise ValueError("an ineligible candidate would come first")  # cannot happen: groups split on it
    return out


def reordered(before: Sequence[Scored], after: Sequence[Scored]) -> bool:
    return [s.candidate_id for s in before] != [s.candidate_id for s in after]


def reason(best: CandidateRecord, scored: Scored, n: CandidateNumbers | None, tied: Sequence[str] = (),
           model_note: str | None = None) -> str:
    """The one recommendation line (`codi run`, `--dry-run`, `llm rank`, the API): what the best candidate
    is, its risk and score, the size change and the findings it resolves; then what the model did, if
    anything worth saying."""
    parts = [f"{best.title} (risk {best.risk}, score {scored.score:.1f})"]
    if n and n.size_delta_pct is not None:
        parts.append(f"{n.size_delta_pct:+.1f}% size ({n.kind})")
    if n and n.kind == "measured" and n.rebuild_seconds is not None:
        parts.append(f"measured rebuild time {n.rebuild_seconds:.1f} s after a source edit")
    if best.resolves:
        parts.append(f"resolves {len(best.resolves)} finding(s) of the original")
    if tied:
        parts.append(f"within {TIE_MARGIN:.0f} points of {', '.join(tied)}: the model may reorder these")
    if model_note:
        parts.append(model_note)
    return "; ".join(parts)
