"""What a run teaches later runs: documents from run dirs, indexing, retrieval and rule evidence."""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from codi.artifacts.rundir import iso, utc_now
from codi.rag.index import as_index, open_memory
from codi.rag.index_protocol import MemoryIndex
from codi.telemetry.redact import redact_text

# A MemoryIndex (codi.rag.index.open_memory), or a bare connection to an index file (older callers).
Index = MemoryIndex | sqlite3.Connection

TOP_K = 3
_CONTINUATION = re.compile(r"\\[ \t]*\r?\n")


def normalise(text: str) -> str:
    """A Dockerfile without comment lines, line continuations and differences in whitespace."""
    kept = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
    return " ".join(_CONTINUATION.sub(" ", "\n".join(kept)).split())


def text_hash(text: str) -> str:
    return hashlib.sha256(normalise(text).encode("utf-8")).hexdigest()


@dataclass(slots=True)
class Outcome:
    candidate_id: str
    rule_id: str
    kind: str = ""
    number_kind: str = "estimated"
    size_delta_pct: float | None = None
    layers_delta: int | None = None
    verified: bool = True
    applied: bool = False
    text_hash: str | None = None  # of the candidate's Dockerfile, normalised (codi.rag.applied)
    applied_at: str | None = None
    applied_how: str | None = None  # "detected" (a later run saw it) or "manual" (codi index mark-applied)


@dataclass(slots=True)
class RunDoc:
    run_id: str
    stack: str
    project_name: str = ""
    created_at: str = ""
    base_images: list[str] = field(default_factory=list)
    findings: list[str] = field(default_factory=list)  # rule codes of the original
    dockerfile: str = ""
    evidence: str = ""
    outcomes: list[Outcome] = field(default_factory=list)
    run_dir: str | None = None
    project_path: str | None = None

    @property
    def families(self) -> set[str]:
        return {image_family(b) for b in self.base_images if b}

    def run_columns(self) -> dict[str, Any]:
        """The ``runs`` row of this run (both back-ends)."""
        return {"run_id": self.run_id, "created_at": self.created_at, "project_name": self.project_name,
                "stack": self.stack, "base_images": " ".join(self.base_images), "findings": " ".join(self.findings),
                "summary": self.summary(), "run_dir": self.run_dir, "indexed_at": iso(utc_now()),
                "project_path": self.project_path}

    def text_columns(self) -> dict[str, str]:
        """What full-text search looks in (both back-ends): image families besides the images themselves."""
        return {"stack": self.stack, "base_images": " ".join(sorted(self.families | set(self.base_images))),
                "findings": " ".join(self.findings), "dockerfile": self.dockerfile,
                "candidates": " ".join(f"{o.rule_id} {o.kind}" for o in self.outcomes), "evidence": self.evidence}

    def summary(self) -> str:
        best = min((o for o in self.outcomes if o.verified and o.size_delta_pct is not None),
                   key=lambda o: o.size_delta_pct or 0.0, default=None)
        text = f"{self.stack} project {self.project_name or '?'} on {', '.join(self.base_images) or 'unknown base'}"
        text += f"; {len(self.findings)} finding(s)"
        if best is not None:
            text += f"; best candidate {best.rule_id} {best.size_delta_pct:+.1f}% size ({best.number_kind})"
        applied = [o.rule_id for o in self.outcomes if o.applied]
        if applied:
            text += f"; applied {', '.join(applied)}"
        return text


def image_family(image: str) -> str:
    """``docker.io/library/python:3.12-slim`` -> ``python``."""
    return image.split("@", 1)[0].rsplit("/", 1)[-1].split(":", 1)[0].lower()


def _load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def doc_from_run_dir(run_dir: str | Path) -> RunDoc:
    """Read a committed run directory (metadata/*.json, inputs/Dockerfile)."""
    root = Path(run_dir)
    meta = root / "metadata"
    run = _load(meta / "run.json")
    analysis = _load(meta / "analysis.json") if (meta / "analysis.json").is_file() else {}
    metrics = _load(meta / "metrics.json") if (meta / "metrics.json").is_file() else {}
    applied = applied_marks(root)
    numbers = {c["candidate_id"]: c for c in metrics.get("candidates", [])}
    outcomes = []
    for c in run.get("candidates", []):
        n = numbers.get(c["id"], {})
        mark = applied.get(c["id"])
        outcomes.append(Outcome(c["id"], c["rule_id"], c.get("kind", ""), n.get("kind", "estimated"),
                                n.get("size_delta_pct"), n.get("layers_delta"), bool(c.get("verified")),
                                mark is not None, _candidate_hash(root, c.get("path")),
                                (mark or {}).get("applied_at"), (mark or {}).get("how")))
    dockerfile = root / str(run.get("inputs", {}).get("Dockerfile", "inputs/Dockerfile"))
    primary = (analysis.get("detection") or {}).get("primary") or {}
    evidence = " ".join(f"{e.get('file')} {e.get('matched')}" for e in primary.get("evidence", []))
    return RunDoc(run_id=run["run_id"], stack=run.get("stack", "unknown"), project_name=run.get("project_name", ""),
                  created_at=run.get("created_at", ""),
                  base_images=[s.get("base_resolved") or s.get("base") or "" for s in analysis.get("stages", [])],
                  findings=[f["code"] for f in analysis.get("findings", [])],
                  dockerfile=_described(dockerfile),
                  evidence=evidence, outcomes=outcomes, run_dir=str(root), project_path=run.get("project_path"))


def _described(dockerfile: Path) -> str:
    """The run's Dockerfile as the memory keeps it: redacted, always. inputs/ holds the user's text
    verbatim, but the memory describes runs and outlives them (and may be a shared database)."""
    if not dockerfile.is_file():
        return ""
    return redact_text(dockerfile.read_text(encoding="utf-8", errors="replace"))


def applied_marks(run_dir: Path) -> dict[str, dict[str, Any]]:
    """``metadata/feedback.json``: candidate id -> how and when it was applied (older files list bare ids)."""
    path = run_dir / "metadata" / "feedback.json"
    if not path.is_file():
        return {}
    marks: dict[str, dict[str, Any]] = {}
    for item in _load(path).get("applied") or []:
        mark = item if isinstance(item, dict) else {"candidate_id": str(item)}
        marks[str(mark["candidate_id"])] = mark
    return marks


def _candidate_hash(root: Path, rel: str | None) -> str | None:
    path = root / rel if rel else None
    if path is None or not path.is_file() or not path.resolve().is_relative_to(root.resolve()):
        return None
    return text_hash(path.read_text(encoding="utf-8", errors="replace"))


def add(index: Index, doc: RunDoc) -> None:
    """Insert or replace one run (idempotent per run_id)."""
    as_index(index).put(doc)


def remember_run(out: str | Path, run_dir: str | Path) -> str:
    """Index a committed run dir into the run memory of ``out``; return its run id."""
    doc = doc_from_run_dir(run_dir)
    with open_memory(out) as index:
        index.put(doc)
    return doc.run_id


def run_dirs(root: str | Path) -> list[Path]:
    return sorted(p.parent.parent for p in Path(root).glob("*/metadata/run.json") if not p.parent.parent.name.startswith("_"))


def rebuild(out: str | Path, roots: Iterable[str | Path] | None = None, merge: bool = False) -> tuple[int, list[str]]:
    """Re-index every run dir under ``roots`` (default: ``out``); (count, problems).

    The memory is emptied first, unless ``merge``: then the runs found are added or replaced and the
    others stay (a shared CODI_DB_URL memory also holds the other replicas' runs).
    """
    problems: list[str] = []
    count = 0
    with open_memory(out) as index:
        if not merge:
            index.clear()
        for root in roots or [out]:
            for folder in run_dirs(root):
                try:
                    index.put(doc_from_run_dir(folder))
                    count += 1
                except (OSError, ValueError, KeyError, TypeError) as exc:
                    problems.append(f"{folder}: {type(exc).__name__}: {exc}")
    return count, problems


def query_terms(doc: RunDoc) -> list[str]:
    terms = [doc.stack, *sorted(doc.families), *dict.fromkeys(doc.findings), *(o.rule_id for o in doc.outcomes)]
    return [t for t in dict.fromkeys(terms) if t and t != "unknown"]


def search(index: Index, doc: RunDoc, k: int = TOP_K) -> list[dict[str, Any]]:
    """Top past runs by text relevance (BM25 or ts_rank, scaled to the best) plus structured similarity
    (stack, findings, base family)."""
    terms = query_terms(doc)
    if not terms:
        return []
    rows = as_index(index).search_rows(terms, doc.run_id, 50)
    if not rows:
        return []
    best = max(float(r["relevance"]) for r in rows) or 1.0
    mine = set(doc.findings)
    scored = []
    for r in rows:
        theirs = set(str(r["findings"]).split())
        jaccard = len(mine & theirs) / len(mine | theirs) if mine | theirs else 0.0
        families = {image_family(b) for b in str(r["base_images"]).split()}
        score = (float(r["relevance"]) / best) + (1.0 if r["stack"] == doc.stack else 0.0) + jaccard + (
            0.5 if families & doc.families else 0.0)
        scored.append({"run_id": r["run_id"], "score": round(score, 3), "stack": r["stack"], "summary": r["summary"]})
    scored.sort(key=lambda m: (-m["score"], m["run_id"]))
    return scored[:k]


def rule_evidence(index: Index, matches: Sequence[dict[str, Any]], cap: float = 10.0) -> dict[str, float]:
    """Score bonus per rule id: rules that saved size (and were applied) on similar runs gain."""
    bonus: dict[str, float] = {}
    top = max((float(m["score"]) for m in matches), default=0.0) or 1.0
    for m in matches:
        weight = float(m["score"]) / top
        for row in as_index(index).outcomes(m["run_id"]):
            if not row["verified"]:
                continue
            gain = min(max(-(row["size_delta_pct"] or 0.0) / 20.0, 0.0), 3.0) + (3.0 if row["applied"] else 0.0)
            bonus[row["rule_id"]] = min(cap, bonus.get(row["rule_id"], 0.0) + weight * gain)
    return {rule: round(value, 2) for rule, value in bonus.items() if value > 0}
