"""`codi data build`: corpus + projects -> deduplicated, grouped, stack-stratified JSONL pairs and a data card.

For every source CODI runs what ``codi run --dry-run --no-llm --disable-rag`` runs (parse, lint,
fix, candidates with their verification, contract check and numbers), then turns the record into
pairs (``codi.training.pairs``). Output folder::

    train.jsonl val.jsonl test.jsonl   one pair per line:
        {"id", "task", "messages": [{"role", "content"}, ...], "source", "stack", "licence", "split"}
    splits.json                        sha256, pairs and sources per split file
    data_card.json DATA_CARD.md        counts per split/stack/task, token lengths, licences, what was skipped
"""

from __future__ import annotations

import hashlib
import json
import math
import random
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from codi.optimise.catalog import Catalog, load_catalog
from codi.optimise.contract import diff_contracts
from codi.service.analyze import analyze
from codi.service.candidates import build_candidates, finding_record
from codi.service.errors import InputError
from codi.service.run import RunOptions, run_project
from codi.training import card
from codi.training.corpus import Source, as_project, corpus_sources, project_sources, sample
from codi.training.pairs import Pair, explain_pairs, rank_pair, rewrite_pair
from codi.training.tokens import TokenCounter

SPLITS = ("train", "val", "test")
FRACTIONS = (0.8, 0.1, 0.1)
DEFAULT_SEED = 13
REWRITE_MAX_TOKENS = 2000  # the runtime's context is 2048 tokens: longer chats would be cut in training


@dataclass(slots=True)
class BuildOptions:
    out: Path
    corpus: Path | None = None
    projects: Path | None = None
    limit: int | None = None
    seed: int = DEFAULT_SEED
    candidate_limit: int = 3  # as `codi run`
    progress: Callable[[str], None] | None = None


@dataclass(slots=True)
class SourceResult:
    source: Source
    stack: str = "unknown"
    pairs: list[Pair] = field(default_factory=list)
    skipped: str | None = None  # why the source gave nothing (unparsable, an error)
    explain_missed: int = 0
    rewrite_too_long: int = 0


def _rewrites(project: Path, text: str, record_ids: dict[str, bool], catalog: Catalog, limit: int,
              counter: TokenCounter) -> tuple[list[Pair], int]:
    analysis = analyze(project)
    out: list[Pair] = []
    too_long = 0
    for built in build_candidates(analysis, catalog, limit).built:
        rec = built.record
        if not record_ids.get(rec.id) or rec.contract is None or analysis.contract is None or built.text == text:
            continue
        declared = {(c.field, c.key) for c in rec.contract_changes}
        if any((c.field, c.key) not in declared for c in diff_contracts(analysis.contract, rec.contract)):
            continue  # not offered by the runtime either; checked again here because the pair teaches it
        pair = rewrite_pair(text, built.text)
        if counter.chat(pair.messages) > REWRITE_MAX_TOKENS:
            too_long += 1
            continue
        out.append(pair)
    return out, too_long


def process(source: Source, catalog: Catalog, options: BuildOptions, counter: TokenCounter) -> SourceResult:
    result = SourceResult(source)
    with as_project(source) as project, tempfile.TemporaryDirectory(prefix="codi-data-runs-") as runs:
        try:
            run = run_project(project, RunOptions(out=Path(runs), dry_run=True, llm=False, rag=False,
                                                  candidate_limit=options.candidate_limit))
        except InputError as exc:
            result.skipped = f"input: {str(exc).splitlines()[0][:160]}"
            return result
        record, metrics = run.record, run.metrics
        result.stack = record.stack or "unknown"
        analysis = analyze(project)
        findings = [finding_record(f) for f in analysis.findings]
        rank = rank_pair(record, metrics)
        result.pairs += [rank] if rank else []
        explained, result.explain_missed = explain_pairs(record, metrics, findings, options.seed,
                                                                   counter.count)
        result.pairs += explained
        verified = {c.id: c.verified for c in record.candidates}
        rewrites, result.rewrite_too_long = _rewrites(project, analysis.text, verified, catalog,
                                                      options.candidate_limit, counter)
        result.pairs += rewrites
    return result


def content_hash(pair: Pair) -> str:
    return hashlib.sha256(json.dumps([pair.task, pair.messages], ensure_ascii=False, sort_keys=True)
                          .encode("utf-8")).hexdigest()


def assign_splits(group_stack: dict[str, str], seed: int) -> dict[str, str]:
    """Group -> split: 80/10/10 within each stack (largest remainder), shuffled with ``seed``.

    The remainders carry from stack to stack, so stacks with a handful of groups still feed val and
    test overall instead of all rounding into train.
    """
    rng = random.Random(seed)
    carry = [0.0, 0.0, 0.0]
    out: dict[str, str] = {}
    for stack in sorted(set(group_stack.values())):
        groups = sorted(g for g, s in group_stack.items() if s == stack)
        rng.shuffle(groups)
        exact = [len(groups) * f for f in FRACTIONS]
        counts = [math.floor(e) for e in exact]
        score = [exact[i] - counts[i] + carry[i] for i in range(3)]
        for i in sorted(range(3), key=lambda i: (-score[i], i))[:len(groups) - sum(counts)]:
            counts[i] += 1
        carry = [carry[i] + exact[i] - counts[i] for i in range(3)]
        bounds = [counts[0], counts[0] + counts[1]]
        for k, group in enumerate(groups):
            out[group] = SPLITS[0] if k < bounds[0] else SPLITS[1] if k < bounds[1] else SPLITS[2]
    return out


def _say(options: BuildOptions, text: str) -> None:
    (options.progress or (lambda t: sys.stderr.write(t + "\n")))(text)


def build(options: BuildOptions) -> dict[str, Any]:
    """Run the whole build; returns the data card (also written to ``options.out``)."""
    started = time.monotonic()
    sources = (corpus_sources(options.corpus) if options.corpus else []) + \
        (project_sources(options.projects) if options.projects else [])
    sources = sample(sources, options.limit, options.seed)
    catalog = load_catalog()
    counter = TokenCounter()
    results: list[SourceResult] = []
    for i, source in enumerate(sources, 1):
        try:
            results.append(process(source, catalog, options, counter))
        except Exception as exc:  # noqa: BLE001 - one bad source must not end a build of hundreds; the card lists it
            results.append(SourceResult(source, skipped=f"error: {type(exc).__name__}: {str(exc)[:160]}"))
        if i % 25 == 0 or i == len(sources):
            pairs = sum(len(r.pairs) for r in results)
            _say(options, f"codi data: {i}/{len(sources)} sources, {pairs} pairs, {time.monotonic() - started:.0f}s")
    group_stack: dict[str, str] = {}
    for r in results:
        group_stack.setdefault(r.source.group, r.stack)
    split_of = assign_splits(group_stack, options.seed)
    rows: dict[str, list[dict[str, Any]]] = {s: [] for s in SPLITS}
    seen: set[str] = set()
    duplicates = 0
    for r in results:
        for pair in r.pairs:
            digest = content_hash(pair)
            if digest in seen:
                duplicates += 1
                continue
            seen.add(digest)
            split = split_of[r.source.group]
            rows[split].append({"id": f"{pair.task}-{digest[:16]}", "task": pair.task, "messages": pair.messages,
                                "source": r.source.id, "stack": r.stack, "licence": r.source.licence, "split": split})
    options.out.mkdir(parents=True, exist_ok=True)
    hashes = {s: card.write_jsonl(options.out / f"{s}.jsonl", rows[s]) for s in SPLITS}
    data_card = card.make_card(options, results, rows, hashes, duplicates, counter, time.monotonic() - started)
    card.write_card(options.out, data_card)
    _say(options, f"codi data: wrote {sum(len(v) for v in rows.values())} pairs to {options.out} "
                  f"({', '.join(f'{s} {len(rows[s])}' for s in SPLITS)}) in {data_card['elapsed_s']}s")
    return data_card
