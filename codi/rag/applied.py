"""Whether the user applied a candidate: seen by a later run of the same project, or marked by hand.

A mark is written twice: into the earlier run's ``metadata/feedback.json`` (atomically; the run
dir stays the source of truth, so ``codi index rebuild`` keeps it) and into the index, where
``rule_evidence`` lets the rules of applied candidates gain in the ranking of similar projects.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from codi.artifacts.rundir import iso, utc_now, write_json_file
from codi.rag.index import as_index
from codi.rag.memory import Index, applied_marks, doc_from_run_dir, text_hash
from codi.telemetry.redact import redact_text

FEEDBACK_SCHEMA_VERSION = 1


@dataclass(slots=True)
class AppliedMark:
    run_id: str
    candidate_id: str
    rule_id: str
    how: str  # "detected" or "manual"
    applied_at: str

    def as_dict(self) -> dict[str, str]:
        return {"run_id": self.run_id, "candidate_id": self.candidate_id, "rule_id": self.rule_id,
                "how": self.how, "applied_at": self.applied_at}


class UnknownRun(LookupError):
    """No such run, or no such candidate in it; the message says which and what exists."""


def _write_feedback(run_dir: Path, mark: AppliedMark, seen_in: str | None) -> None:
    marks = applied_marks(run_dir)
    entry: dict[str, Any] = {"candidate_id": mark.candidate_id, "how": mark.how, "applied_at": mark.applied_at}
    if seen_in:
        entry["seen_in_run"] = seen_in
    marks[mark.candidate_id] = entry
    write_json_file(run_dir / "metadata" / "feedback.json",
                    {"schema_version": FEEDBACK_SCHEMA_VERSION, "applied": list(marks.values())})


def mark(index: Index, out: str | Path, run_id: str, candidate_id: str, how: str = "manual",
         seen_in: str | None = None) -> AppliedMark:
    """Record that ``candidate_id`` of ``run_id`` was applied; raise UnknownRun when either is unknown."""
    memory = as_index(index)
    row = memory.run(run_id)
    folder = Path(row["run_dir"]) if row is not None and row["run_dir"] else Path(out) / run_id
    has_dir = (folder / "metadata" / "run.json").is_file()
    if has_dir:
        candidates = {c["id"]: c["rule_id"] for c in json.loads(
            (folder / "metadata" / "run.json").read_text(encoding="utf-8")).get("candidates", [])}
    elif row is not None:
        candidates = {r["candidate_id"]: r["rule_id"] for r in memory.outcomes(run_id)}
    else:
        raise UnknownRun(f"no run {run_id} in {out} (neither in the index nor as a run directory)")
    if candidate_id not in candidates:
        known = ", ".join(sorted(candidates)) or "none"
        raise UnknownRun(f"run {run_id} has no candidate {candidate_id} (candidates: {known})")
    applied = AppliedMark(run_id, candidate_id, candidates[candidate_id], how, iso(utc_now()))
    if has_dir:
        _write_feedback(folder, applied, seen_in)
        memory.put(doc_from_run_dir(folder))  # re-index from the run dir, which now holds the mark
    else:  # the run dir is gone (or on another replica): the index is all there is to update
        memory.set_applied(run_id, candidate_id, applied.applied_at, how)
    return applied


def detect(index: Index, out: str | Path, project_path: str, dockerfile_text: str,
           current_run_id: str) -> list[AppliedMark]:
    """Mark the candidate of an earlier run of this project that the current Dockerfile now equals.

    Only the latest earlier run offering that text is marked, once: running CODI again on an
    applied candidate must not count as applying it again.
    """
    memory = as_index(index)
    digest = text_hash(dockerfile_text)
    rows = memory.offers(digest, project_path, current_run_id)
    if not rows or any(r["applied"] for r in rows):
        return []
    original = memory.dockerfile(rows[0]["run_id"])  # kept redacted: compare it with the redacted text
    if original is not None and text_hash(original) == text_hash(redact_text(dockerfile_text)):
        return []  # that candidate changed nothing: an unchanged project applied nothing
    return [mark(memory, out, rows[0]["run_id"], rows[0]["candidate_id"], "detected", current_run_id or None)]
