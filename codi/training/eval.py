"""`codi eval`: CODI's deterministic layer first, then the local model, base and adapter side by side.

Deterministic layer (per suite item, a real ``codi run --no-llm`` into a scratch folder): every
candidate parses, the lint delta (the original's findings minus the candidate's), the contract check
(offered candidates carry their contract and declared changes; rejected ones name violations) and
whether the ranking's top choice is the deterministic best once the model has ranked.

Model metrics, on the held-out pairs (``test.jsonl``) and on the suite, for the base model and the
adapter: valid-JSON rate and valid-permutation rate of rank answers, agreement with the deterministic
best, the guard's acceptance rate of explanation sentences (``codi.llm.guard``, the same check as
``llm_metrics.acceptance``), facts stated per accepted sentence, invented / filler / contradicting
sentences removed, and latency. Each comes with a percentile bootstrap confidence interval over items.
"""

from __future__ import annotations

import json
import os
import random
import re
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from codi.config.paths import NO_ADAPTER
from codi.llm import prompts
from codi.llm.guard import _CANDIDATE, _CODE, _FAMILY, _IMAGE, _INSTRUCTION, _NUMBER, Facts, guard
from codi.training.promote import DETERMINISTIC, promoted_version

SCHEMA_VERSION = 1
Log = Callable[[str], None]
_LABEL = re.compile(r"^([A-Z]): ", re.MULTILINE)
_SIZE = re.compile(r"^Size \([a-z]+\): (\d+) MB -> (\d+) MB", re.MULTILINE)
_LAYERS = re.compile(r"Layers: (\d+) -> (\d+)")
_RISK = re.compile(r"^Risk: (low|medium|high)\.", re.MULTILINE)


@dataclass(slots=True)
class EvalOptions:
    suite: Path
    adapter: Path | None = None
    held_out: Path | None = None  # a pairs folder; default: the adapter's dataset (metadata.json)
    bootstrap: int = 1000
    limit: int | None = None
    llm: bool = True
    seed: int = 1234


# ---- statistics -------------------------------------------------------------------------------

def ratio(rows: Sequence[tuple[float, float]]) -> float | None:
    den = sum(d for _, d in rows)
    return round(sum(n for n, _ in rows) / den, 4) if den else None


def bootstrap(rows: Sequence[tuple[float, float]], n: int, seed: int) -> dict[str, Any]:
    """Value sum(num)/sum(den) over items and its 95% percentile interval from ``n`` resamples."""
    value = ratio(rows)
    if not rows or n <= 0 or value is None:
        return {"value": value, "ci95": None, "n": len(rows)}
    rng = random.Random(seed)
    stats = sorted(s for s in (ratio([rows[rng.randrange(len(rows))] for _ in rows]) for _ in range(n))
                   if s is not None)
    return {"value": value, "ci95": [stats[int(0.025 * (len(stats) - 1))], stats[int(0.975 * (len(stats) - 1))]],
            "n": len(rows)}


# ---- facts of a prompt ------------------------------------------------------------------------

def facts_in(sentence: str) -> int:
    """Checkable facts a sentence states (the guard's anchors: numbers, images, instructions, codes, ids)."""
    return sum(len(set(p.findall(sentence))) for p in (_NUMBER, _IMAGE, _FAMILY, _INSTRUCTION, _CODE, _CANDIDATE))


def claims_of_facts(text: str) -> dict[str, str]:
    """What the explain prompt's fact lines say is true (``prompts.candidate_facts`` format)."""
    out: dict[str, str] = {}
    if m := _SIZE.search(text):
        out["size_mb"] = f"{m.group(1)}->{m.group(2)}"  # as the runtime's claims give them
        if m.group(1) != m.group(2):
            out["size"] = "down" if int(m.group(2)) < int(m.group(1)) else "up"
    if (m := _LAYERS.search(text)) and m.group(1) != m.group(2):
        out["layers"] = "down" if int(m.group(2)) < int(m.group(1)) else "up"
    if m := _RISK.search(text):
        out["risk"] = m.group(1)
    return out


# ---- models -----------------------------------------------------------------------------------

@contextmanager
def _no_adapter_env() -> Iterator[None]:
    saved = os.environ.pop("ADAPTER_PATH", None)
    try:
        yield
    finally:
        if saved is not None:
            os.environ["ADAPTER_PATH"] = saved


def load_side(adapter: Path | None) -> Any:
    """The embedded model, plain (base) or with the adapter (verified before loading)."""
    from codi.llm.runtime import EmbeddedModel, embedded, find_model

    if adapter is None:
        return EmbeddedModel(find_model(), None, None)
    return embedded(None, str(adapter))


def explain_row(model: Any, messages: list[dict[str, str]], facts_text: str, claims: dict[str, str],
                extra_facts: str = "") -> dict[str, Any]:
    # The sentences a run keeps (`codi run` asks for the first only), so the figures are what users get.
    gen = model.chat(messages, None, prompts.EXPLAIN_MAX_TOKENS, prompts.STOP, sentences=prompts.EXPLAIN_SENTENCES)
    # The "Change:" line holds the candidate's title and catalog description: repeating it is no explanation.
    own = [line for line in facts_text.splitlines() if line.startswith("Change:")]
    checked = guard(gen.text, Facts("\n".join(x for x in (extra_facts, facts_text) if x), claims=claims,
                                    own_words=own))
    kept = [s for s in re.split(r"(?<=[.!?])\s+", checked.text) if s]
    return {"text": gen.text.strip(), "sentences": checked.sentences, "accepted": checked.kept,
            "invented": checked.removals, "filler": checked.vague, "contradictions": len(checked.contradictions),
            "copied": checked.copied, "facts": sum(facts_in(s) for s in kept), "latency_ms": gen.latency_ms}


def rank_row(model: Any, messages: list[dict[str, str]], reference: list[str] | None) -> dict[str, Any]:
    labels = _LABEL.findall(messages[-1]["content"])
    gen = model.chat(messages, prompts.rank_schema(labels), prompts.RANK_MAX_TOKENS * len(labels) + 16,
                     ["<|im_end|>"])
    row: dict[str, Any] = {"text": gen.text, "valid_json": 0, "valid_permutation": 0, "agrees": 0,
                           "latency_ms": gen.latency_ms}
    try:
        order = json.loads(gen.text)["order"]
        row["valid_json"] = 1
    except (ValueError, KeyError, TypeError):
        return row
    row["valid_permutation"] = int(isinstance(order, list) and sorted(map(str, order)) == sorted(labels))
    row["agrees"] = int(bool(reference) and row["valid_permutation"] == 1 and order[0] == reference[0])
    return row


def held_out_rows(model: Any, pairs: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    rows = []
    for pair in pairs:
        messages, answer = pair["messages"][:-1], pair["messages"][-1]["content"]
        if pair["task"] == "explain":
            facts = messages[-1]["content"]
            rows.append({"task": "explain", "id": pair["id"],
                         **explain_row(model, messages, facts, claims_of_facts(facts))})
        elif pair["task"] == "rank":
            try:
                reference = list(json.loads(answer)["order"])
            except (ValueError, KeyError, TypeError):
                reference = None
            rows.append({"task": "rank", "id": pair["id"], **rank_row(model, messages, reference)})
    return rows


def model_metrics(rows: Sequence[dict[str, Any]], n: int, seed: int) -> dict[str, Any]:
    ex = [r for r in rows if r["task"] == "explain"]
    rk = [r for r in rows if r["task"] == "rank"]

    def per(key: str, den: str, part: Sequence[dict[str, Any]]) -> dict[str, Any]:
        return bootstrap([(float(r[key]), float(r[den])) for r in part], n, seed)

    ones = [dict(r, one=1) for r in rows]
    return {"acceptance": per("accepted", "sentences", ex), "facts_per_sentence": per("facts", "accepted", ex),
            "invented_removed_per_sentence": per("invented", "sentences", ex),
            "filler_removed_per_sentence": per("filler", "sentences", ex),
            "contradictions_per_sentence": per("contradictions", "sentences", ex),
            "valid_json_rate": per("valid_json", "one", [dict(r, one=1) for r in rk]),
            "valid_permutation_rate": per("valid_permutation", "one", [dict(r, one=1) for r in rk]),
            "agreement_with_deterministic_best": per("agrees", "one", [dict(r, one=1) for r in rk]),
            "latency_ms_mean": per("latency_ms", "one", ones),
            "explain_items": len(ex), "rank_items": len(rk)}


# ---- the suite --------------------------------------------------------------------------------

def suite_items(folder: Path) -> list[tuple[str, Path, str | None]]:
    """(name, project folder, Dockerfile name or None) for a folder of projects or of Dockerfiles."""
    if not folder.is_dir():
        raise ValueError(f"{folder}: not a directory")
    projects = [p for p in sorted(folder.iterdir()) if p.is_dir() and (p / "Dockerfile").is_file()]
    if projects:
        return [(p.name, p, None) for p in projects]
    files = [f for f in sorted(folder.iterdir()) if f.is_file() and not f.name.startswith(".")
             and ("dockerfile" in f.name.lower() or f.suffix == "")]
    if not files:
        raise ValueError(f"{folder}: neither project folders (with a Dockerfile) nor Dockerfiles")
    return [(f.name, folder, f.name) for f in files]


def deterministic_item(name: str, project: Path, dockerfile: str | None, scratch: Path) -> dict[str, Any]:
    """One ``codi run --no-llm`` and the checks of its candidates; ``inputs`` feeds the model side."""
    from codi.parser.parse import parse
    from codi.service.assist_inputs import inputs_from_run
    from codi.service.run import RunOptions, run_project

    result = run_project(project, RunOptions(out=scratch, dockerfile=dockerfile, llm=False, rag=False))
    assert result.run_dir is not None
    given = inputs_from_run(result.run_dir)
    parses, deltas, contract = [], [], []
    for c in given.record.candidates:
        try:
            parse((result.run_dir / c.path).read_text(encoding="utf-8"), c.path)
            parses.append(1)
        except Exception:  # noqa: BLE001 - any parse failure counts as "does not parse"
            parses.append(0)
        deltas.append(len(given.findings) - len(c.findings))
        contract.append(int(c.contract is not None))
    contract += [int(bool(r.violations) or "contract" not in r.reason.lower()) for r in given.record.rejected]
    return {"name": name, "stack": given.record.stack, "candidates": len(given.record.candidates),
            "rejected": len(given.record.rejected), "parses": parses, "lint_deltas": deltas,
            "contract": contract, "deterministic_top": given.record.recommendation.candidate_id
            if given.record.recommendation else None, "inputs": given}


def suite_model_row(item: dict[str, Any], adapter: Path | None) -> dict[str, Any]:
    """``assist`` as `codi run` calls it, on this side's model; its llm_metrics are the row."""
    from codi.llm.backend import Backend, LLMSettings
    from codi.llm.ranking import deterministic
    from codi.service.assist import AssistOptions, assist

    given = item["inputs"]
    side = str(adapter) if adapter else NO_ADAPTER  # the base side must not pick up the shipped adapter
    backend = Backend(LLMSettings(enabled=True, endpoints=[], adapter=side))
    res = assist(given.record, given.metrics, given.findings, given.text,
                 AssistOptions(llm=True, rag=False, adapter=side, backend=backend))
    m = res.llm_metrics
    numbers = {n.candidate_id: n for n in given.metrics.candidates}
    best = deterministic(given.record.candidates, numbers, {})
    top = res.ranking[0]["candidate_id"] if res.ranking else None
    accepted = " ".join(e.get("accepted_text", "") for e in res.explain.get("candidates", []))
    rejected = "model answer rejected" in (m.get("fallback_reason") or "")
    ranked = len(given.record.candidates) >= 2
    return {"task": "explain", "sentences": m["model_sentences"], "accepted": m["accepted_sentences"],
            "invented": m["guard_removals"], "filler": m["vague_removals"], "contradictions": m["contradictions"],
            "facts": sum(facts_in(s) for s in re.split(r"(?<=[.!?])\s+", accepted) if s),
            "latency_ms": m["latency_ms"], "top": top, "top_is_best": int(not best or top == best[0].candidate_id),
            "ranked": ranked, "valid_json": int(ranked and not rejected), "adapter_version": m["adapter_version"],
            "model_id": m["model_id"], "fallback_reason": m["fallback_reason"]}


def deterministic_metrics(items: Sequence[dict[str, Any]], tops: Sequence[int], n: int, seed: int) -> dict[str, Any]:
    return {"parse_rate": bootstrap([(sum(i["parses"]), len(i["parses"])) for i in items], n, seed),
            "lint_delta_mean": bootstrap([(sum(i["lint_deltas"]), len(i["lint_deltas"])) for i in items], n, seed),
            "contract_ok_rate": bootstrap([(sum(i["contract"]), len(i["contract"])) for i in items], n, seed),
            "top_is_deterministic_best": bootstrap([(t, 1) for t in tops], n, seed)}


# ---- the report -------------------------------------------------------------------------------

def _held_out_pairs(options: EvalOptions) -> tuple[Path | None, list[dict[str, Any]]]:
    folder = options.held_out
    if folder is None and options.adapter is not None and (options.adapter / "metadata.json").is_file():
        meta = json.loads((options.adapter / "metadata.json").read_text(encoding="utf-8"))
        path = (meta.get("dataset") or {}).get("path")
        folder = Path(path) if path else None
    if folder is None or not (folder / "test.jsonl").is_file():
        return folder, []
    rows = [json.loads(x) for x in (folder / "test.jsonl").read_text(encoding="utf-8").splitlines() if x.strip()]
    rows = [r for r in rows if r.get("task") in ("explain", "rank")]
    return folder, rows[: options.limit] if options.limit else rows


def evaluate(options: EvalOptions, log: Log = print) -> dict[str, Any]:
    from codi.llm.adapters import verify_adapter

    started = time.perf_counter()
    adapter_meta: dict[str, Any] | None = None
    if options.adapter is not None:
        checked = verify_adapter(options.adapter)
        if not checked.ok:
            raise ValueError(f"adapter {options.adapter} refused: " + "; ".join(checked.problems))
        adapter_meta = {"path": str(options.adapter), "version": checked.version, "base_model": checked.base_model}
    listed = suite_items(options.suite)[: options.limit] if options.limit else suite_items(options.suite)
    with tempfile.TemporaryDirectory(prefix="codi-eval-") as scratch:
        items = []
        for name, project, dockerfile in listed:
            log(f"eval: deterministic layer: {name}")
            items.append(deterministic_item(name, project, dockerfile, Path(scratch)))
    sides: list[tuple[str, Path | None]] = [("base", None)] + ([("adapter", options.adapter)] if options.adapter else [])
    held_dir, pairs = _held_out_pairs(options)
    n, seed = options.bootstrap, options.seed
    report: dict[str, Any] = {"schema_version": SCHEMA_VERSION, "suite": str(options.suite), "items": len(items),
                              "held_out": {"path": str(held_dir) if held_dir else None, "pairs": len(pairs)},
                              "adapter": adapter_meta, "bootstrap": n, "deterministic": {}, "model": {}}
    tops: dict[str, list[int]] = {"deterministic": [1] * len(items)}
    if options.llm:
        for side, adapter in sides:
            with _no_adapter_env():
                model = load_side(adapter)
                log(f"eval: {side}: {len(pairs)} held-out pair(s), {len(items)} suite item(s)")
                held = held_out_rows(model, pairs)
                suite_rows = [suite_model_row(i, adapter) for i in items]
            tops[side] = [r["top_is_best"] for r in suite_rows]
            report["model"][side] = {"held_out": model_metrics(held, n, seed),
                                     "suite": model_metrics(suite_rows, n, seed),
                                     "model_id": getattr(model, "model_id", None),
                                     "adapter_version": getattr(model, "adapter_version", None)}
            report["model"][side]["suite"]["valid_json_rate"] = bootstrap(
                [(r["valid_json"], 1) for r in suite_rows if r["ranked"]], n, seed)
            for item, row in zip(items, suite_rows, strict=True):
                item.setdefault("model", {})[side] = {k: row[k] for k in ("top", "sentences", "accepted",
                                                                          "latency_ms", "fallback_reason")}
    for side, values in tops.items():
        report["deterministic"][side] = deterministic_metrics(items, values, n, seed)
    report["acceptance"] = _acceptance(report)
    report["promoted_adapter"] = _promoted()
    report["items_detail"] = [{k: v for k, v in i.items() if k != "inputs"} for i in items]
    report["seconds"] = round(time.perf_counter() - started, 1)
    return report


def _promoted() -> str | None:
    """The adapter promoted so far (``codi adapter promote``), so reports name it."""
    return promoted_version()


def _acceptance(report: dict[str, Any]) -> dict[str, Any]:
    """The headline: acceptance on the held-out split when it has explain pairs, else on the suite."""
    model = report["model"]
    if not model:
        return {"split": None, "base": None, "adapter": None, "delta": None, "note": "--no-llm"}
    split = "held_out" if model["base"]["held_out"]["explain_items"] else "suite"
    base = model["base"][split]["acceptance"]
    adapted = model.get("adapter", {}).get(split, {}).get("acceptance")
    delta = None if not adapted or adapted["value"] is None or base["value"] is None \
        else round(adapted["value"] - base["value"], 4)
    return {"split": split, "base": base, "adapter": adapted, "delta": delta,
            "by_split": {s: {k: v[s]["acceptance"] for k, v in model.items()} for s in ("held_out", "suite")},
            "adapter_version": (report.get("adapter") or {}).get("version")}


def render_text(report: dict[str, Any]) -> str:
    def fmt(m: dict[str, Any] | None) -> str:
        if not m or m.get("value") is None:
            return "n/a"
        ci = m.get("ci95")
        return f"{m['value']:.3f}" + (f" [{ci[0]:.3f}, {ci[1]:.3f}]" if ci else "")

    sides = list(report["deterministic"])
    lines = [f"suite {report['suite']}: {report['items']} item(s); held-out pairs: {report['held_out']['pairs']}",
             "deterministic: " + "  ".join(sides)]
    for metric in DETERMINISTIC:
        lines.append(f"  {metric}: " + "  ".join(fmt(report["deterministic"][s][metric]) for s in sides))
    for split in ("held_out", "suite"):
        if not report["model"]:
            break
        lines.append(f"model ({split}): " + "  ".join(report["model"]))
        for metric, value in report["model"]["base"][split].items():
            if isinstance(value, dict):
                lines.append(f"  {metric}: " + "  ".join(fmt(report["model"][s][split][metric])
                                                         for s in report["model"]))
    acc = report["acceptance"]
    lines.append(f"promoted adapter: {report.get('promoted_adapter') or 'none'}")
    lines.append(f"acceptance ({acc['split']}): base {fmt(acc['base'])} -> adapter {fmt(acc['adapter'])}")
    return "\n".join(lines) + "\n"
