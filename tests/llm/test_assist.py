"""Ranking and explanations through codi.service.assist, with a scripted backend (no model needed)."""

from __future__ import annotations

import json
import re
from typing import Any

from llmkit import DOCKERFILE, FINDINGS, ScriptedBackend, candidate, metrics, numbers, run_record

from codi.llm.ranking import apply_model_order, deterministic, is_permutation, tie_groups
from codi.service.assist import AssistOptions, assist


def _tied() -> tuple[Any, Any]:
    """Three candidates: two near-tied at the top, one clearly behind."""
    cands = [candidate("001-fixed", "fixed", risk="low", resolves=2),
             candidate("002-a", "a", risk="low", resolves=2),
             candidate("003-b", "b", risk="high", resolves=0)]
    nums = [numbers("001-fixed", -50.0), numbers("002-a", -52.0), numbers("003-b", -10.0)]
    return run_record(cands), metrics(nums)


def _order_answer(order: list[str]) -> Any:
    def answer(messages: list[dict[str, str]], schema: dict[str, Any] | None) -> str:
        if schema is not None:
            return json.dumps({"order": _labels(messages, order)})
        return "It fixes DL3042 so pip keeps no cache. The runtime image is python:3.12-slim."
    return answer


def _labels(messages: list[dict[str, str]], order: list[str]) -> list[str]:
    """The prompt lists "X: Candidate <rule>; ..." (ids are 00N-<rule>); answer with the labels of ``order``."""
    label = {m[1]: m[0] for m in re.findall(r"^(\w): Candidate ([\w-]+);", messages[-1]["content"], re.MULTILINE)}
    return [label.get(cid.split("-", 1)[1], cid) for cid in order]


def _ids(result: Any) -> list[str]:
    return [r["candidate_id"] for r in result.ranking]


def test_deterministic_order_and_shape() -> None:
    record, nums = _tied()
    result = assist(record, nums, FINDINGS, DOCKERFILE, AssistOptions(llm=False, rag=False))
    assert result.mode == "deterministic"
    assert _ids(result) == ["002-a", "001-fixed", "003-b"]
    assert [r["rank"] for r in result.ranking] == [1, 2, 3]
    assert set(result.ranking[0]) == {"candidate_id", "rule_id", "score", "rank"}
    m = result.llm_metrics
    for key in ("mode", "model_id", "adapter_version", "endpoint", "prompt_tokens", "completion_tokens",
                "latency_ms", "fallback_reason", "guard_removals"):
        assert key in m
    assert m["mode"] == "deterministic" and "disabled" in m["fallback_reason"]
    assert result.rag == {"schema_version": 1, "enabled": False, "reason": result.rag["reason"], "query": None,
                          "matches": []}
    texts = [e["text"] for e in result.explain["candidates"]]
    assert len(texts) == 3 and all(2 <= len(re.findall(r"[.!?](?:\s|$)", t)) <= 4 for t in texts)
    assert set(result.artifacts()) == {"metadata/llm_metrics.json", "metadata/rag.json", "metadata/explain.json"}


def test_model_reorders_only_within_tie_margin() -> None:
    record, nums = _tied()
    backend = ScriptedBackend(_order_answer(["003-b", "001-fixed", "002-a"]))
    result = assist(record, nums, FINDINGS, DOCKERFILE, AssistOptions(rag=False, backend=backend))
    # 001 and 002 are within the margin: the model's preference (001 before 002) counts; 003 stays last.
    assert result.mode == "llm"
    assert _ids(result) == ["001-fixed", "002-a", "003-b"]
    assert result.llm_metrics["mode"] == "llm" and result.llm_metrics["model_id"] == "scripted"
    schema = backend.requests[0][1]
    assert schema is not None and len(schema["properties"]["order"]["enum"]) == 6  # every permutation of 3


def test_non_permutation_falls_back_recorded() -> None:
    record, nums = _tied()
    for bad in (json.dumps({"order": ["001-fixed", "001-fixed", "003-b"]}), "not json", json.dumps({"x": 1})):
        backend = ScriptedBackend(lambda m, s, bad=bad: bad if s else "Fine.")
        result = assist(record, nums, FINDINGS, DOCKERFILE, AssistOptions(rag=False, backend=backend))
        assert result.mode == "deterministic"
        assert _ids(result) == ["002-a", "001-fixed", "003-b"]
        assert "rejected" in result.llm_metrics["fallback_reason"]


def test_unverified_or_failed_smoke_never_first() -> None:
    cands = [candidate("001-x", "x", verified=False, resolves=9), candidate("002-y", "y", resolves=0),
             candidate("003-z", "z", resolves=9)]
    nums = [numbers("001-x", -90.0), numbers("002-y", -1.0),
            numbers("003-z", -95.0, smoke={"status": "failed"}, kind="measured")]
    backend = ScriptedBackend(_order_answer(["001-x", "003-z", "002-y"]))
    result = assist(run_record(cands), metrics(nums), FINDINGS, DOCKERFILE, AssistOptions(rag=False, backend=backend))
    assert _ids(result)[0] == "002-y"
    assert result.top == "002-y"


def test_no_model_is_a_recorded_fallback() -> None:
    record, nums = _tied()
    backend = ScriptedBackend(None, fail="embedded model unavailable: test")
    result = assist(record, nums, FINDINGS, DOCKERFILE, AssistOptions(rag=False, backend=backend))
    assert result.mode == "deterministic" and result.llm_metrics["mode"] == "deterministic"
    assert "embedded model unavailable: test" in result.llm_metrics["fallback_reason"]
    assert all(e["source"] == "deterministic" for e in result.explain["candidates"])


def test_guard_counts_invented_sentences() -> None:
    record, nums = _tied()

    def answer(messages: list[dict[str, str]], schema: dict[str, Any] | None) -> str:
        if schema:
            return json.dumps({"order": ["A", "B", "C"]})
        return ("It switches to python:3.12-slim. It saves 777 MB on alpine:3.19. "
                "It removes the pip cache. Add HEALTHCHECK to probe it.")

    result = assist(record, nums, FINDINGS, DOCKERFILE,
                    AssistOptions(rag=False, limit=3, backend=ScriptedBackend(answer)))
    assert result.llm_metrics["guard_removals"] == 2 * 3  # two invented sentences per candidate
    for e in result.explain["candidates"]:
        assert "777" not in e["text"] and "alpine" not in e["text"] and "HEALTHCHECK" not in e["text"]
        # "It removes the pip cache." names nothing from the facts of candidates without that fix.
        assert e["source"] in {"llm", "llm+facts"} and e["guard_removals"] == 2


def test_model_explains_only_the_best_by_default() -> None:
    """One explain generation per run: the best candidate's; the others get CODI's labelled sentences."""
    record, nums = _tied()
    backend = ScriptedBackend(_order_answer(["002-a", "001-fixed", "003-b"]))
    result = assist(record, nums, FINDINGS, DOCKERFILE, AssistOptions(rag=False, backend=backend))
    explain_requests = [m for m, schema in backend.requests if schema is None]
    assert len(explain_requests) == 1 and "Candidate a" in explain_requests[0][-1]["content"]
    entries = result.explain["candidates"]
    assert [e["candidate_id"] for e in entries] == ["002-a", "001-fixed", "003-b"]
    assert entries[0]["source"] == "llm" and "note" not in entries[0]
    assert all(e["source"] == "deterministic" and "explain limit" in e["note"] and e["text"] for e in entries[1:])
    assert result.llm_metrics["calls"] == 2 and result.llm_metrics["fallback_reason"] is None


def test_limit_sets_how_many_the_model_explains() -> None:
    record, nums = _tied()
    backend = ScriptedBackend(_order_answer(["002-a", "001-fixed", "003-b"]))
    result = assist(record, nums, FINDINGS, DOCKERFILE, AssistOptions(rag=False, limit=2, backend=backend))
    assert [e["source"] for e in result.explain["candidates"]] == ["llm", "llm", "deterministic"]
    assert result.explain["summary"].startswith("CODI recommends 002-a")


def test_explain_facts_are_compact() -> None:
    """Facts only: no comment lines from the diff, the size saving worked out, findings with lines."""
    from codi.llm import prompts

    record, nums = _tied()
    c = record.candidates[1].model_copy(update={"diff": "--- a\n+++ b\n-# old comment\n-FROM python:3.12\n"
                                                         "+# new comment\n+FROM python:3.12-slim\n"})
    facts = prompts.candidate_facts(c, nums.candidates[1], nums.original, FINDINGS)
    assert "comment" not in facts and "+FROM python:3.12-slim" in facts
    assert "1000 MB -> 100 MB, 900 MB smaller (-52.0%)" in facts
    assert "pip-no-cache-dir (line 4)" in facts
    assert len(facts) < 400


def test_ranking_helpers() -> None:
    record, nums = _tied()
    order = deterministic(record.candidates, {n.candidate_id: n for n in nums.candidates})
    assert [len(g) for g in tie_groups(order)] == [2, 1]
    assert is_permutation(["a", "b"], ["b", "a"]) and not is_permutation(["a"], ["a", "b"])
    try:
        apply_model_order(order, ["002-a", "001-fixed"])
    except ValueError:
        pass
    else:
        raise AssertionError("a partial order must be rejected")


def test_measured_rebuild_time_counts_and_the_rationale_says_so() -> None:
    a, b = candidate("001-a", "rule-a"), candidate("002-b", "rule-b")
    slow, fast = numbers("001-a", -40.0, kind="measured"), numbers("002-b", -40.0, kind="measured")
    slow.rebuild_seconds, fast.rebuild_seconds = 30.0, 2.0
    order = deterministic([a, b], {"001-a": slow, "002-b": fast})
    assert [s.candidate_id for s in order] == ["002-b", "001-a"]
    result = assist(run_record([a, b]), metrics([slow, fast]), FINDINGS, DOCKERFILE,
                    AssistOptions(llm=False, rag=False))
    assert "measured rebuild time" in result.rationale


def test_sentences_naming_nothing_from_the_facts_are_dropped_and_counted_apart() -> None:
    record, nums = _tied()

    def answer(messages: list[dict[str, str]], schema: dict[str, Any] | None) -> str:
        if schema:
            return json.dumps({"order": ["A", "B", "C"]})
        return ("The original Dockerfile is designed to be a reproducible example. "
                "However, it is not reproducible. It switches to python:3.12-slim.")

    result = assist(record, nums, FINDINGS, DOCKERFILE, AssistOptions(rag=False, backend=ScriptedBackend(answer)))
    top = result.explain["candidates"][0]
    assert "reproducible" not in top["text"] and "python:3.12-slim" in top["text"]
    assert top["vague_removals"] == 2 and top["guard_removals"] == 0
    assert result.llm_metrics["vague_removals"] == 2 and result.llm_metrics["guard_removals"] == 0
