"""Whether the user applied a candidate: seen by a later run of the same project, or marked by hand.

A mark is written twice: into the earlier run's ``metadata/feedback.json`` (atomically; the run
dir stays the source of truth, so ``codi index rebuild`` keeps it) and into the index, where
``rule_evidence`` lets the rules of applied candidates gain in the ranking of similar projects.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from codi.artifacts.rundir import iso, utc_now, write_json_file
from codi.rag.memory import add, applied_marks, doc_from_run_dir, text_hash
from codi.rag.store import write

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


def mark(conn: sqlite3.Connection, out: str | Path, run_id: str, candidate_id: str, how: str = "manual",
         seen_in: str | None = None) -> AppliedMark:
    """Record that ``candidate_id`` of ``run_id`` was applied; raise UnknownRun when either is unknown."""
    row = conn.execute("SELECT run_dir FROM runs WHERE run_id = ?", (run_id,)).fetchone()
    folder = Path(row["run_dir"]) if row is not None and row["run_dir"] else Path(out) / run_id
    has_dir = (folder / "metadata" / "run.json").is_file()
    if has_dir:
        candidates = {c["id"]: c["rule_id"] for c in json.loads(
            (folder / "metadata" / "run.json").read_text(encoding="utf-8")).get("candidates", [])}
    elif row is not None:
        candidates = {r["candidate_id"]: r["rule_id"] for r in conn.execute(
            "SELECT candidate_id, rule_id FROM outcomes WHERE run_id = ?", (run_id,))}
    else:
        raise UnknownRun(f"no run {run_id} in {out} (neither in the index nor as a run directory)")
    if candidate_id not in candidates:
        known = ", ".join(sorted(candidates)) or "none"
        raise UnknownRun(f"run {run_id} has no candidate {candidate_id} (candidates: {known})")
    applied = AppliedMark(run_id, candidate_id, candidates[candidate_id], how, iso(utc_now()))
    if has_dir:
        _write_feedback(folder, applied, seen_in)
        add(conn, doc_from_run_dir(folder))  # re-index from the run dir, which now holds the mark
    else:  # the run dir is gone: the index is all there is to update
        with write(conn):
            conn.execute("UPDATE outcomes SET applied = 1, applied_at = ?, applied_how = ? "
                         "WHERE run_id = ? AND candidate_id = ?", (applied.applied_at, how, run_id, candidate_id))
    return applied


def detect(conn: sqlite3.Connection, out: str | Path, project_path: str, dockerfile_text: str,
           current_run_id: str) -> list[AppliedMark]:
    """Mark the candidate of an earlier run of this project that the current Dockerfile now equals.

    Only the latest earlier run offering that text is marked, once: running CODI again on an
    applied candidate must not count as applying it again.
    """
    digest = text_hash(dockerfile_text)
    rows = conn.execute(
        "SELECT o.run_id, o.candidate_id, o.applied FROM outcomes o JOIN runs r ON r.run_id = o.run_id "
        "WHERE o.text_hash = ? AND r.project_path = ? AND o.run_id != ? "
        "ORDER BY r.created_at DESC, o.run_id DESC", (digest, project_path, current_run_id)).fetchall()
    if not rows or any(r["applied"] for r in rows):
        return []
    original = conn.execute("SELECT dockerfile FROM runs_fts WHERE run_id = ?", (rows[0]["run_id"],)).fetchone()
    if original is not None and text_hash(str(original["dockerfile"])) == digest:
        return []  # that candidate changed nothing: an unchanged project applied nothing
    return [mark(conn, out, rows[0]["run_id"], rows[0]["candidate_id"], "detected", current_run_id or None)]
