"""The data card (``data_card.json`` + ``DATA_CARD.md``), ``splits.json`` and the JSONL writer of a data build."""

from __future__ import annotations

import hashlib
import json
import statistics
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

from codi import __version__
from codi.atomic import atomic_write_bytes, atomic_write_text

if TYPE_CHECKING:
    from codi.training.data import BuildOptions, SourceResult
    from codi.training.tokens import TokenCounter

SCHEMA_VERSION = 1


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> str:
    """Write one JSON object per line (atomically); return the file's sha256."""
    data = "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows).encode("utf-8")
    atomic_write_bytes(path, data)
    return hashlib.sha256(data).hexdigest()


def _lengths(values: list[int]) -> dict[str, float | int]:
    if not values:
        return {"count": 0}
    ordered = sorted(values)
    return {"count": len(values), "min": ordered[0], "p50": ordered[len(ordered) // 2],
            "p95": ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))], "max": ordered[-1],
            "mean": round(statistics.fmean(values), 1)}


def make_card(options: BuildOptions, results: list[SourceResult], rows: dict[str, list[dict[str, Any]]],
              hashes: dict[str, str], duplicates: int, counter: TokenCounter, elapsed: float) -> dict[str, Any]:
    from codi.optimise.catalog import load_catalog

    everything = [row for split in rows.values() for row in split]
    tokens: dict[str, list[int]] = {}
    for row in everything:
        tokens.setdefault(row["task"], []).append(counter.chat(row["messages"]))
    skipped = Counter((r.skipped or "").split(":")[0] for r in results if r.skipped)
    return {
        "schema_version": SCHEMA_VERSION, "codi_version": __version__,
        "ruleset_version": load_catalog().ruleset_version, "seed": options.seed,
        "inputs": {"corpus": str(options.corpus) if options.corpus else None,
                   "projects": str(options.projects) if options.projects else None, "limit": options.limit,
                   "candidate_limit": options.candidate_limit},
        "sources": {"total": len(results), "with_pairs": sum(1 for r in results if r.pairs),
                    "skipped": dict(sorted(skipped.items())),
                    "skipped_files": [{"source": r.source.id, "reason": r.skipped} for r in results if r.skipped]},
        "pairs": {split: len(split_rows) for split, split_rows in rows.items()},
        "by_split_stack": {split: dict(sorted(Counter(r["stack"] for r in split_rows).items()))
                           for split, split_rows in rows.items()},
        "by_split_task": {split: dict(sorted(Counter(r["task"] for r in split_rows).items()))
                          for split, split_rows in rows.items()},
        "sources_by_split": {split: len({r["source"] for r in split_rows}) for split, split_rows in rows.items()},
        "licences": {split: dict(sorted(Counter(r["licence"] for r in split_rows).items()))
                     for split, split_rows in rows.items()},
        "duplicates_removed": duplicates,
        "explain_without_accepted_target": sum(r.explain_missed for r in results),
        "rewrite_over_context": sum(r.rewrite_too_long for r in results),
        "tokens": {"tokenizer": counter.kind, "note": counter.why or None,
                   "by_task": {task: _lengths(v) for task, v in sorted(tokens.items())}},
        "split_files": {split: {"file": f"{split}.jsonl", "sha256": hashes[split]} for split in rows},
        "elapsed_s": round(elapsed, 1),
    }


def _table(title: str, table: dict[str, dict[str, int]]) -> list[str]:
    keys = sorted({k for row in table.values() for k in row})
    lines = [f"## {title}", "", "| split | " + " | ".join(keys) + " | total |", "|---" * (len(keys) + 2) + "|"]
    for split, row in table.items():
        lines.append(f"| {split} | " + " | ".join(str(row.get(k, 0)) for k in keys) + f" | {sum(row.values())} |")
    return [*lines, ""]


def _by_key(title: str, table: dict[str, dict[str, int]]) -> list[str]:
    """Splits as columns: for tables with many keys (licences)."""
    keys = sorted({k for row in table.values() for k in row})
    splits = list(table)
    lines = [f"## {title}", "", "| | " + " | ".join(splits) + " |", "|---" * (len(splits) + 1) + "|"]
    lines += [f"| {k} | " + " | ".join(str(table[s].get(k, 0)) for s in splits) + " |" for k in keys]
    return [*lines, ""]


def markdown(c: dict[str, Any]) -> str:
    lines = ["# Data card: CODI training pairs", "",
             f"CODI {c['codi_version']}, ruleset {c['ruleset_version']}, seed {c['seed']}. "
             f"Sources: {c['sources']['total']} ({c['sources']['with_pairs']} gave pairs; skipped: "
             f"{c['sources']['skipped'] or 'none'}). Built in {c['elapsed_s']} s.", "",
             "Pairs are the chats the runtime sends (`codi/llm/prompts.py`), the target as the last assistant "
             "message: `rank` (deterministic order as JSON), `explain` (sentences from CODI's facts, every one "
             "accepted by the guard), `rewrite` (original -> verified, contract-checked candidate). Split 80/10/10 "
             "by source group (near-duplicate cluster or project), stratified by detected stack; duplicates "
             f"removed by content hash: {c['duplicates_removed']}.", ""]
    lines += _table("Pairs per split and task", c["by_split_task"])
    lines += _table("Pairs per split and stack", c["by_split_stack"])
    lines += _by_key("Licences (pairs)", c["licences"])
    lines += ["## Token lengths (whole chat)", "", f"Tokenizer: {c['tokens']['tokenizer']}.", "",
              "| task | count | min | p50 | p95 | max | mean |", "|---|---|---|---|---|---|---|"]
    for task, s in c["tokens"]["by_task"].items():
        lines.append(f"| {task} | " + " | ".join(str(s.get(k, "")) for k in ("count", "min", "p50", "p95", "max",
                                                                              "mean")) + " |")
    lines += ["", "## Split files", ""] + [f"- `{v['file']}`: sha256 `{v['sha256']}`" for v in c["split_files"].values()]
    return "\n".join(lines) + "\n"


def write_card(out: Path, c: dict[str, Any]) -> None:
    splits = {"schema_version": SCHEMA_VERSION, "seed": c["seed"],
              "splits": {s: {**v, "pairs": c["pairs"][s], "sources": c["sources_by_split"][s]}
                         for s, v in c["split_files"].items()}}
    atomic_write_text(out / "splits.json", json.dumps(splits, indent=2) + "\n")
    atomic_write_text(out / "data_card.json", json.dumps(c, indent=2, ensure_ascii=False) + "\n")
    atomic_write_text(out / "DATA_CARD.md", markdown(c))
