"""Model assist for a run: rank (deterministic first) and explain candidates, with run memory.

One call for the run pipeline and the CLI::

    result = assist(record, metrics, findings, dockerfile_text, AssistOptions(out=..., llm=..., rag=...))
    for rel, data in result.artifacts().items():   # metadata/llm_metrics.json, rag.json, explain.json
        writer.write_json(rel, data)

The deterministic score decides; the model may only reorder candidates within the tie margin and
write the words. Every fall-back is recorded in ``llm_metrics`` with its reason.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from codi.artifacts.models import CandidateNumbers, FindingRecord, MetricsRecord, RunRecord
from codi.llm import prompts
from codi.llm.backend import DISABLED, Backend, LLMSettings, NoModel
from codi.llm.guard import guard
from codi.llm.ranking import (
    TIE_MARGIN,
    Scored,
    apply_model_order,
    deterministic,
    reason,
    reordered,
    tie_groups,
)
from codi.llm.runtime import Generation
from codi.telemetry.tracing import span

SCHEMA_VERSION = 1
_FROM = re.compile(r"^\s*FROM\s+(?:--\S+\s+)*(\S+)", re.IGNORECASE | re.MULTILINE)


@dataclass(slots=True)
class AssistOptions:
    out: Path | None = None  # runs root: the memory lives at <out>/_rag/index.sqlite3 (or at CODI_DB_URL)
    llm: bool = True
    rag: bool = True
    model: str | None = None
    adapter: str | None = None
    ruleset: str | None = None
    limit: int | None = None  # the model explains this many candidates, best first (default prompts.EXPLAIN_LIMIT)
    explain: bool = True
    backend: Backend | None = None  # share one across calls (tests, servers)
    # `codi run` only: note in the memory when this project's Dockerfile now equals a candidate of
    # an earlier run (the user applied it). Read-only callers (llm rank/explain, the API) leave it off.
    record_applied: bool = False


@dataclass(slots=True)
class AssistResult:
    mode: str  # "llm" when the model's order was used, else "deterministic"
    ranking: list[dict[str, Any]]
    rationale: str
    explain: dict[str, Any]
    llm_metrics: dict[str, Any]
    rag: dict[str, Any]
    top: str | None = None  # best candidate id (or None)

    def rank_json(self) -> dict[str, Any]:
        return {"mode": self.mode, "ranking": self.ranking, "rationale": self.rationale,
                "llm_metrics": self.llm_metrics}

    def explain_json(self) -> dict[str, Any]:
        return {"summary": self.explain["summary"], "rationale": self.rationale,
                "candidates": self.explain["candidates"], "llm_metrics": self.llm_metrics}

    def artifacts(self) -> dict[str, dict[str, Any]]:
        return {"metadata/llm_metrics.json": self.llm_metrics, "metadata/rag.json": self.rag,
                "metadata/explain.json": {"schema_version": SCHEMA_VERSION, **self.explain_json(),
                                          "summary_source": self.explain.get("summary_source"),
                                          "summary_codi": self.explain.get("summary_codi"),
                                          "summary_model": self.explain.get("summary_model"),
                                          "summary_model_note": self.explain.get("summary_model_note"),
                                          "mode": self.mode, "ranking": self.ranking}}


@dataclass(slots=True)
class _Tally:
    generations: list[Generation] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    guard_removals: int = 0
    vague_removals: int = 0
    contradictions: int = 0
    model_sentences: int = 0  # every sentence the model wrote in explanations
    accepted_sentences: int = 0  # the ones the guard kept
    copied: int = 0  # sentences dropped for repeating CODI's own words or the catalog's description
    skipped: list[str] = field(default_factory=list)  # model calls not made because they could change nothing

    @property
    def acceptance(self) -> float | None:
        return round(self.accepted_sentences / self.model_sentences, 3) if self.model_sentences else None

    def reason(self, text: str) -> None:
        if text not in self.reasons:
            self.reasons.append(text)


def _rag(record: RunRecord, findings: Sequence[FindingRecord], text: str,
         options: AssistOptions) -> tuple[dict[str, Any], dict[str, float]]:
    if not options.rag or options.out is None:
        why = "disabled (--disable-rag or CODI_RAG=off)" if not options.rag else "no runs folder"
        return {"schema_version": SCHEMA_VERSION, "enabled": False, "reason": why, "query": None,
                "matches": []}, {}
    from codi.rag.index import memory_location, open_existing
    from codi.rag.index_protocol import RunMemoryError
    from codi.rag.memory import Outcome, RunDoc, query_terms, rule_evidence, search

    doc = RunDoc(run_id=record.run_id, stack=record.stack, project_name=record.project_name,
                 base_images=_FROM.findall(text), findings=[f.code for f in findings], dockerfile=text,
                 outcomes=[Outcome(c.id, c.rule_id, c.kind) for c in record.candidates])
    query = " ".join(query_terms(doc))
    rag: dict[str, Any] = {"schema_version": SCHEMA_VERSION, "enabled": True, "query": query, "matches": [],
                           "evidence": {}, "applied": []}
    try:
        index = open_existing(options.out)  # None: nothing remembered yet; reading must not create files
    except (RunMemoryError, OSError) as exc:  # the memory is optional: the run goes on without it
        rag["error"] = f"run memory not consulted ({memory_location(options.out)}): {exc}"
        return rag, {}
    if index is None:
        return rag, {}
    with index:
        if options.record_applied and record.project_path:
            from codi.rag.applied import detect

            try:
                rag["applied"] = [m.as_dict() for m in detect(index, options.out, record.project_path, text,
                                                              record.run_id)]
            except (RunMemoryError, OSError, ValueError, KeyError) as exc:  # never fails the run
                rag["applied_error"] = f"applied candidates not recorded: {type(exc).__name__}: {exc}"
        try:
            rag["matches"] = search(index, doc)
            rag["evidence"] = rule_evidence(index, rag["matches"])
        except RunMemoryError as exc:
            rag["matches"], rag["evidence"] = [], {}
            rag["error"] = f"run memory not consulted ({index.location}): {exc}"
    return rag, rag["evidence"]


def past_run_bonus(record: RunRecord, findings: Sequence[FindingRecord], text: str, out: Path | None) -> dict[str, float]:
    """The memory's score bonus per rule id, read-only: what ``assist`` adds to the deterministic score."""
    return _rag(record, findings, text, AssistOptions(out=out))[1]


def _rank(order: list[Scored], backend: Backend, tally: _Tally, lines: dict[str, str]) -> tuple[list[Scored], str]:
    """(final order, mode); the model's answer must be a valid JSON permutation or it is ignored.

    The model may only reorder candidates within the tie margin, and what a run shows of the order is its
    recommendation (and the one candidate the model explains): so it is asked only when a candidate is tied
    with the best, and its answer decides among those only; ties further down keep the score's order. The
    prompt still lists every candidate, as the adapter was trained on.
    """
    if len(order) < 2:
        tally.reason("rank: fewer than two candidates, nothing to order")
        return order, "deterministic"
    if not backend.settings.enabled:
        tally.reason(f"rank: {DISABLED}")
        return order, "deterministic"
    top = tie_groups(order)[0]
    if len(top) < 2:
        # A rank call costs most of a second on 2 cores; its answer could not change the recommendation.
        tally.skipped.append(f"rank: no candidate within {TIE_MARGIN:.0f} points of the best; the model was not asked")
        return order, "deterministic"
    ids = [s.candidate_id for s in order]
    # One-letter labels keep the answer to a few tokens.
    labels = [chr(ord("A") + i) for i in range(len(ids))] if len(ids) <= 26 else ids
    by_label = dict(zip(labels, ids, strict=True))
    try:
        gen = backend.generate(prompts.rank_messages([f"{lab}: {lines[i]}" for lab, i in zip(labels, ids, strict=True)]),
                               prompts.rank_schema(labels), max_tokens=prompts.RANK_MAX_TOKENS * len(ids) + 16,
                               stop=["<|im_end|>"])
    except NoModel as exc:
        tally.reason(f"rank: {exc}")
        return order, "deterministic"
    tally.generations.append(gen)
    try:
        answer = json.loads(gen.text)
        ranked = apply_model_order(order, [by_label.get(str(x), str(x)) for x in answer["order"]])
    except (ValueError, KeyError, TypeError) as exc:
        tally.reason(f"rank: model answer rejected ({type(exc).__name__}: {str(exc)[:80]}); deterministic order kept")
        return order, "deterministic"
    # Tie groups keep their places, so the first len(top) are the tied-with-the-best in the model's order.
    return ranked[:len(top)] + order[len(top):], "llm"


def _explain_one(cid: str, record: RunRecord, metrics: MetricsRecord, findings: Sequence[FindingRecord],
                 backend: Backend | None, tally: _Tally) -> dict[str, Any]:
    """One candidate's words: the model's (guarded) when ``backend`` is given, else CODI's own."""
    c = next(x for x in record.candidates if x.id == cid)
    n: CandidateNumbers | None = next((x for x in metrics.candidates if x.candidate_id == cid), None)
    fallback = prompts.deterministic_explanation(c, n, metrics.original)
    entry: dict[str, Any] = {"candidate_id": cid, "source": "deterministic", "guard_removals": 0, "removed": [],
                             "vague_removals": 0, "contradictions": [], "model_sentences": 0, "accepted_sentences": 0}
    if backend is None:
        entry.update(text=" ".join(fallback), note="beyond the explain limit: CODI's own sentences")
        return entry
    facts_text = prompts.candidate_facts(c, n, metrics.original, findings)
    try:
        # The candidate's facts only, exactly as the adapter was trained: a past project's summary in the
        # prompt made the shipped adapter repeat ids until the token cap, and its numbers, which are not
        # this run's, would have passed the guard. The memory still counts in the score (rag.json).
        gen = backend.generate(prompts.explain_messages(facts_text), None, prompts.EXPLAIN_MAX_TOKENS, prompts.STOP,
                               sentences=prompts.EXPLAIN_SENTENCES)
    except NoModel as exc:
        tally.reason(f"explain: {exc}")
        entry.update(text=" ".join(fallback), unused_reason=f"the model did not run: {exc}")
        return entry
    tally.generations.append(gen)
    entry["model_text"] = gen.text.strip()  # the model's draft as written, shown when the guard drops it
    facts = prompts.guard_facts([x.id for x in record.candidates], c, n, metrics.original, facts_text)
    checked = guard(gen.text, facts)
    tally.guard_removals += checked.removals
    tally.vague_removals += checked.vague
    tally.contradictions += len(checked.contradictions)
    tally.copied += checked.copied
    tally.model_sentences += checked.sentences
    tally.accepted_sentences += checked.kept
    entry.update(guard_removals=checked.removals, removed=checked.removed, vague_removals=checked.vague,
                 contradictions=checked.contradictions, copied_removals=checked.copied,
                 model_sentences=checked.sentences,
                 accepted_sentences=checked.kept)
    if checked.kept == 0:
        tally.reason(f"explain {cid}: no model sentence passed the guard; CODI's own sentences used")
        entry.update(text=" ".join(fallback), unused_reason="no sentence of the model's draft was accepted: "
                     + (checked.why_unused() or "it was empty"))
        return entry
    entry["accepted_text"] = checked.text
    words = [checked.text] + (fallback[1:2] if checked.kept < 2 else [])
    entry.update(text=" ".join(words), source="llm" if checked.kept >= 2 else "llm+facts")
    return entry


def _metrics(backend: Backend, tally: _Tally, mode: str) -> dict[str, Any]:
    gens = tally.generations
    last = gens[-1] if gens else None
    # The backend's notes add what the per-step reasons do not already say (endpoint failures).
    reasons = tally.reasons + [n for n in backend.notes if not n.startswith("embedded model unavailable")]
    return {"schema_version": SCHEMA_VERSION, "mode": "llm" if gens else "deterministic", "rank_mode": mode,
            "backend": last.backend if last else None, "model_id": last.model_id if last else None,
            "adapter_version": last.adapter_version if last else None,
            "endpoint": last.endpoint if last else None, "calls": len(gens),
            "prompt_tokens": sum(g.prompt_tokens for g in gens),
            "completion_tokens": sum(g.completion_tokens for g in gens),
            "latency_ms": sum(g.latency_ms for g in gens),
            "fallback_reason": "; ".join(reasons) or None, "guard_removals": tally.guard_removals,
            "vague_removals": tally.vague_removals, "contradictions": tally.contradictions,
            "model_sentences": tally.model_sentences, "accepted_sentences": tally.accepted_sentences,
            "acceptance": tally.acceptance, "copied_removals": tally.copied,
            "skipped_calls": tally.skipped, "tie_margin": TIE_MARGIN}


def _summary(top: str | None, record: RunRecord, metrics: MetricsRecord, entries: list[dict[str, Any]],
             llm: bool) -> dict[str, Any]:
    """The headline: CODI's own sentence first, then the model's accepted sentences, or why there are none."""
    if top is None:
        return {"summary": "No candidate passed verification; keep the original.", "candidates": entries,
                "summary_source": "deterministic", "summary_codi": None, "summary_model": None,
                "summary_model_note": None}
    c = next(x for x in record.candidates if x.id == top)
    n = next((x for x in metrics.candidates if x.candidate_id == top), None)
    codi = f"CODI recommends {top}: " + " ".join(prompts.deterministic_explanation(c, n, metrics.original)[:2])
    entry = next((e for e in entries if e["candidate_id"] == top), None)
    model = entry.get("accepted_text") if entry else None
    if model:
        note = None
    elif entry is None:
        note = "the model was not asked (no explanations requested)"
    elif not llm:
        note = f"the model was not used: {DISABLED}"
    else:
        note = "the model's text was not used: " + entry.get("unused_reason", "no model explanation")
    return {"summary": codi + (" " + model if model else ""), "candidates": entries,
            "summary_source": "codi+llm" if model else "deterministic", "summary_codi": codi,
            "summary_model": model, "summary_model_note": note}


def assist(record: RunRecord, metrics: MetricsRecord, findings: Sequence[FindingRecord], dockerfile_text: str,
           options: AssistOptions) -> AssistResult:
    """Rank and explain ``record.candidates``; see the module docstring for how to store the result."""
    backend = options.backend or Backend(LLMSettings.from_env(options.llm, options.model, options.adapter,
                                                              options.ruleset or record.ruleset_version))
    tally = _Tally()
    with span("rag.query") as traced:
        rag, evidence = _rag(record, findings, dockerfile_text, options)
        traced.set(enabled=rag.get("enabled"), matches=len(rag.get("matches") or []))
    numbers = {n.candidate_id: n for n in metrics.candidates}
    base = deterministic(record.candidates, numbers, evidence)
    lines = {c.id: prompts.candidate_line(c, numbers.get(c.id)) for c in record.candidates}
    with span("llm.rank", candidates=len(base)) as traced:
        final, mode = _rank(base, backend, tally, lines)
        traced.set(mode=mode, fallback=mode != "llm")
    ranking = [s.as_dict(i + 1) for i, s in enumerate(final)]
    top = final[0].candidate_id if final and final[0].eligible else None
    if not final:
        rationale = "No candidate passed verification; keep the original."
    else:
        best = next(c for c in record.candidates if c.id == final[0].candidate_id)
        tied = [s.candidate_id for s in base if s is not final[0] and final[0].score - s.score <= TIE_MARGIN
                and s.eligible == final[0].eligible]
        note = None
        if reordered(base, final) and final[0] is not base[0]:
            note = f"the model put it before {base[0].candidate_id} (within {TIE_MARGIN:.0f} points)"
        elif mode == "llm" and tied:
            note = f"the model kept it before {', '.join(tied)} (within {TIE_MARGIN:.0f} points)"
        rationale = reason(best, final[0], numbers.get(best.id), model_note=note)
    # The model explains the best `limit` candidates; the rest get CODI's sentences (labelled).
    worded = options.limit or prompts.EXPLAIN_LIMIT
    with span("llm.explain", candidates=len(final) if options.explain else 0):
        entries = [_explain_one(s.candidate_id, record, metrics, findings, backend if i < worded else None, tally)
                   for i, s in enumerate(final)] if options.explain else []
    explain = _summary(top, record, metrics, entries, options.llm)
    return AssistResult(mode, ranking, rationale, explain, _metrics(backend, tally, mode), rag, top)








def remember(out: Path, run_dir: Path, enabled: bool = True) -> str | None:
    """Index a committed run into the memory; return a warning instead of failing the run."""
    if not enabled:
        return None
    from codi.rag.index import memory_location
    from codi.rag.index_protocol import RunMemoryError
    from codi.rag.memory import remember_run

    try:
        remember_run(out, run_dir)
    except RunMemoryError as exc:
        return f"run memory not updated ({memory_location(out)}): {exc}"
    except (OSError, ValueError, KeyError, RuntimeError) as exc:
        return f"run memory not updated: {type(exc).__name__}: {exc}"
    return None
