"""A tiny pairs folder built from CODI's own prompt builders (for the training tests until, or besides,
the data builder): explain pairs answered with CODI's deterministic sentences, rank pairs answered
with the deterministic order. Same contract as ``codi data build``'s output."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from codi.llm import prompts
from codi.llm.ranking import deterministic
from codi.service.assist_inputs import inputs_from_project

DEMO = Path(__file__).resolve().parents[2] / "demo"


def project_pairs(project: Path) -> list[dict[str, Any]]:
    given = inputs_from_project(project)
    record, metrics = given.record, given.metrics
    numbers = {n.candidate_id: n for n in metrics.candidates}
    out: list[dict[str, Any]] = []
    for c in record.candidates:
        n = numbers.get(c.id)
        facts = prompts.candidate_facts(c, n, metrics.original, given.findings)
        answer = " ".join(prompts.deterministic_explanation(c, n, metrics.original)[:2])
        out.append({"task": "explain", "messages": prompts.explain_messages(facts)
                    + [{"role": "assistant", "content": answer}]})
    order = deterministic(record.candidates, numbers, {})
    if len(order) >= 2:
        labels = [chr(ord("A") + i) for i in range(len(order))]
        lines = [f"{lab}: {prompts.candidate_line(next(c for c in record.candidates if c.id == s.candidate_id), numbers.get(s.candidate_id))}"
                 for lab, s in zip(labels, order, strict=True)]
        out.append({"task": "rank", "messages": prompts.rank_messages(lines)
                    + [{"role": "assistant", "content": json.dumps({"order": labels})}]})
    for row in out:
        row.update(source=f"demo/{project.name}", stack=record.stack, licence="Apache-2.0")
        row["id"] = hashlib.sha256(json.dumps(row["messages"]).encode()).hexdigest()[:16]
    return out


def write_pairs(folder: Path, projects: dict[str, list[Path]]) -> Path:
    """{split: [project folders]} -> train/val/test.jsonl + splits.json under ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    for split, chosen in projects.items():
        rows = [dict(r, split=split) for p in chosen for r in project_pairs(p)]
        (folder / f"{split}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    (folder / "splits.json").write_text(json.dumps({s: [p.name for p in ps] for s, ps in projects.items()}))
    return folder
