"""Training pairs for one analysed project, in exactly the chats the runtime sends.

- rank: ``prompts.rank_messages`` over the candidates labelled A, B, ... in the deterministic order
  (``codi.llm.ranking.deterministic``), as ``codi.service.assist`` builds them; the target is the
  JSON answer that keeps that order.
- explain: ``prompts.explain_messages(prompts.candidate_facts(...))`` per candidate; the target is
  written from the facts (``codi.training.explain_text``) and kept only when the guard accepts every
  sentence, against the runtime's facts and against the prompt alone (so the model learns to say
  only what it was shown).
- rewrite: the original Dockerfile -> a verified candidate whose runtime contract check passes.
  The runtime never asks the model for a whole Dockerfile, so this prompt is the one text of its own.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from codi.artifacts.models import CandidateNumbers, CandidateRecord, FindingRecord, MetricsRecord, RunRecord
from codi.llm import prompts
from codi.llm.guard import Facts, guard
from codi.llm.ranking import deterministic
from codi.training.explain_text import explanations

REWRITE_SYSTEM = ("Rewrite this Dockerfile into a smaller, safer one. Keep its CMD, ENTRYPOINT, ports, ENV, "
                  "USER and WORKDIR. Answer with the Dockerfile only.")
EXPLAIN_TARGET_TOKENS = prompts.EXPLAIN_MAX_TOKENS - 6  # room for the end-of-turn token and a margin


@dataclass(slots=True)
class Pair:
    task: str  # rank | explain | rewrite
    messages: list[dict[str, str]]  # the chat the runtime sends, the target as the last assistant message


def _assistant(messages: list[dict[str, str]], target: str) -> list[dict[str, str]]:
    return [*messages, {"role": "assistant", "content": target}]


def rank_labels(count: int, ids: Sequence[str]) -> list[str]:
    """One-letter labels as the runtime gives them (the ids themselves past 26 candidates)."""
    return [chr(ord("A") + i) for i in range(count)] if count <= 26 else list(ids)


def rank_pair(record: RunRecord, metrics: MetricsRecord) -> Pair | None:
    if len(record.candidates) < 2:
        return None  # the runtime does not ask the model to order fewer than two
    numbers = {n.candidate_id: n for n in metrics.candidates}
    order = deterministic(record.candidates, numbers)
    ids = [s.candidate_id for s in order]
    labels = rank_labels(len(ids), ids)
    by_id = {c.id: c for c in record.candidates}
    lines = [f"{lab}: {prompts.candidate_line(by_id[i], numbers.get(i))}" for lab, i in zip(labels, ids, strict=True)]
    return Pair("rank", _assistant(prompts.rank_messages(lines), json.dumps({"order": labels})))


def runtime_facts(record: RunRecord, c: CandidateRecord, n: CandidateNumbers | None, metrics: MetricsRecord,
                  facts_text: str) -> Facts:
    """The facts ``codi.service.assist`` guards an explanation with (the memory of past runs off)."""
    return prompts.guard_facts([x.id for x in record.candidates], c, n, metrics.original, facts_text)


def accepted(text: str, facts: Facts) -> bool:
    checked = guard(text, facts)
    return checked.kept == checked.sentences > 0 and checked.text == " ".join(text.split())


def explain_pairs(record: RunRecord, metrics: MetricsRecord, findings: list[FindingRecord], seed: int,
                  count_tokens: Callable[[str], int]) -> tuple[list[Pair], int]:
    """(pairs, candidates without an accepted target).

    The phrasing is drawn from an RNG seeded with ``seed`` and the prompt, so the same facts get the
    same words wherever they come from (copies of a file then deduplicate).
    """
    numbers = {n.candidate_id: n for n in metrics.candidates}
    out: list[Pair] = []
    missed = 0
    for c in record.candidates:
        n = numbers.get(c.id)
        facts_text = prompts.candidate_facts(c, n, metrics.original, findings)
        full = runtime_facts(record, c, n, metrics, facts_text)
        shown = Facts(facts_text, claims=full.claims)
        excerpt = facts_text.partition("\nDiff:\n")[2]
        rng = random.Random(f"{seed}:{facts_text}")
        options = explanations(c, n, metrics.original, findings, excerpt, rng,
                               lambda t: count_tokens(t) <= EXPLAIN_TARGET_TOKENS)
        target = next((t for t in options if accepted(t, full) and accepted(t, shown)), None)
        if target is None:
            missed += 1
            continue
        out.append(Pair("explain", _assistant(prompts.explain_messages(facts_text), target)))
    return out, missed


def rewrite_messages(original: str) -> list[dict[str, str]]:
    return [{"role": "system", "content": REWRITE_SYSTEM}, {"role": "user", "content": original}]


def rewrite_pair(original: str, candidate: str) -> Pair:
    return Pair("rewrite", _assistant(rewrite_messages(original), candidate))
