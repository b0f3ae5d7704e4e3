"""Issue 23: the model is asked only where its answer can change what is shown, its words must not repeat
CODI's own sentence or the catalog's description, and the recommendation line is the dry run's."""

from __future__ import annotations

import json
from typing import Any

from llmkit import DOCKERFILE, FINDINGS, ScriptedBackend, candidate, metrics, numbers, run_record

from codi.artifacts.models import Recommendation
from codi.llm.guard import Facts, guard
from codi.llm.ranking import deterministic, reason
from codi.service.assist import AssistOptions, assist
from codi.service.run import recommend


def _apart() -> tuple[Any, Any]:
    """Two candidates far apart in score: no tie, so no order the model gives can change anything."""
    cands = [candidate("001-fixed", "fixed", resolves=1), candidate("002-slim", "slim", resolves=3)]
    return run_record(cands), metrics([numbers("001-fixed", -1.0), numbers("002-slim", -60.0)])


def _explains(text: str) -> Any:
    def answer(messages: list[dict[str, str]], schema: dict[str, Any] | None) -> str:
        assert schema is None, "the rank call must not be made without a tie"
        return text
    return answer


def test_no_rank_call_without_a_tie_and_the_metrics_say_so() -> None:
    record, nums = _apart()
    backend = ScriptedBackend(_explains("It resolves DL3042 on line 4."))
    result = assist(record, nums, FINDINGS, DOCKERFILE, AssistOptions(rag=False, backend=backend))
    assert [schema for _, schema in backend.requests] == [None]  # one explain call, no rank call
    assert result.llm_metrics["calls"] == 1
    assert any("not asked" in s for s in result.llm_metrics["skipped_calls"])
    assert result.llm_metrics["fallback_reason"] is None  # skipping is no fall-back


def test_a_tie_still_asks_the_model() -> None:
    cands = [candidate("001-a", "a"), candidate("002-b", "b")]
    record, nums = run_record(cands), metrics([numbers("001-a", -50.0), numbers("002-b", -51.0)])

    def answer(messages: list[dict[str, str]], schema: dict[str, Any] | None) -> str:
        return json.dumps({"order": ["A", "B"]}) if schema else "It resolves DL3042 on line 4."

    backend = ScriptedBackend(answer)
    assist(record, nums, FINDINGS, DOCKERFILE, AssistOptions(rag=False, backend=backend))
    assert [schema is not None for _, schema in backend.requests] == [True, False]


def test_the_recommendation_line_is_the_dry_runs() -> None:
    record, nums = _apart()
    dry = recommend(record, nums)
    result = assist(record, nums, FINDINGS, DOCKERFILE, AssistOptions(llm=False, rag=False))
    assert isinstance(dry, Recommendation) and dry.candidate_id == result.top == "002-slim"
    assert result.rationale == dry.reason
    assert "Candidate slim (risk low, score" in dry.reason and "-60.0% size (estimated)" in dry.reason
    assert "Scored on" not in result.rationale


def test_the_line_says_when_the_model_changed_the_order() -> None:
    cands = [candidate("001-a", "a"), candidate("002-b", "b")]
    record, nums = run_record(cands), metrics([numbers("001-a", -50.0), numbers("002-b", -51.0)])

    def answer(messages: list[dict[str, str]], schema: dict[str, Any] | None) -> str:
        return json.dumps({"order": ["B", "A"]}) if schema else "Fine."

    result = assist(record, nums, FINDINGS, DOCKERFILE, AssistOptions(rag=False, backend=ScriptedBackend(answer)))
    order = deterministic(cands, {n.candidate_id: n for n in nums.candidates})
    assert result.top == order[1].candidate_id
    assert result.rationale.startswith(reason(cands[0], order[1], nums.candidates[0]))
    assert f"the model put it before {order[0].candidate_id}" in result.rationale


def test_a_copy_of_the_catalog_description_is_not_an_explanation() -> None:
    record, nums = _apart()
    # The catalog description of the fixture candidates is "Uses a smaller runtime image."; with the
    # numbers it would otherwise pass every other check.
    copy = "It uses a smaller runtime image, python:3.12-slim."
    own = "The estimated image size goes from 1000 MB to 100 MB (-60.0%)."  # CODI's own sentence
    backend = ScriptedBackend(_explains(f"{copy} {own}"))
    result = assist(record, nums, FINDINGS, DOCKERFILE, AssistOptions(rag=False, backend=backend))
    entry = result.explain["candidates"][0]
    assert entry["copied_removals"] >= 1 and result.llm_metrics["copied_removals"] >= 1
    assert copy not in (entry.get("accepted_text") or "")
    assert "repeated CODI's own words" in entry["unused_reason"]


def test_copy_detection_is_about_most_of_the_sentence() -> None:
    facts = Facts("Change: Static Go binary on scratch. Builds a static binary and runs it on scratch.\n"
                  "Size (estimated): 850 MB -> 12 MB, 838 MB smaller (-98.6%).",
                  own_words=["Builds a static binary and runs it on scratch."])
    copied = guard("It builds a static binary and runs it on scratch.", facts)
    assert copied.kept == 0 and copied.copied == 1
    own = guard("The image shrinks from 850 MB to 12 MB on scratch, 838 MB smaller.", facts)
    assert own.kept == 1 and own.copied == 0


def test_a_tie_below_the_best_asks_nothing() -> None:
    """Two candidates tied with each other but well behind the best: their order cannot change the
    recommendation, so no rank call (it costs most of a second on 2 cores) and the ranking is the score's."""
    cands = [candidate("001-a", "a"), candidate("002-b", "b"), candidate("003-c", "c")]
    record = run_record(cands)
    nums = metrics([numbers("001-a", -80.0), numbers("002-b", -20.0), numbers("003-c", -21.0)])
    backend = ScriptedBackend(_explains("It resolves DL3042 on line 4."))
    result = assist(record, nums, FINDINGS, DOCKERFILE, AssistOptions(rag=False, backend=backend))
    assert [schema for _, schema in backend.requests] == [None]
    assert [r["candidate_id"] for r in result.ranking] == ["001-a", "003-c", "002-b"]
    assert result.mode == "deterministic" and any("not asked" in s for s in result.llm_metrics["skipped_calls"])


def test_the_models_answer_decides_only_among_those_tied_with_the_best() -> None:
    """Two ties: the best with the second, and the fourth with the fifth. The model reverses everything;
    only the top pair follows it (the prompt lists all, as the adapter was trained on)."""
    cands = [candidate(f"00{i}-{x}", x) for i, x in enumerate("abcde", 1)]
    record = run_record(cands)
    nums = metrics([numbers("001-a", -50.0), numbers("002-b", -51.0), numbers("003-c", -30.0),
                    numbers("004-d", -10.0), numbers("005-e", -11.0)])

    def answer(messages: list[dict[str, str]], schema: dict[str, Any] | None) -> str:
        return json.dumps({"order": ["E", "D", "C", "B", "A"]}) if schema else "Fine."

    backend = ScriptedBackend(answer)
    result = assist(record, nums, FINDINGS, DOCKERFILE, AssistOptions(rag=False, backend=backend))
    prompt, schema = backend.requests[0]
    assert schema is not None and "Candidate e" in prompt[-1]["content"]
    # By score: 002-b, 001-a, 003-c, 005-e, 004-d. The model swaps the top pair only.
    assert [r["candidate_id"] for r in result.ranking] == ["001-a", "002-b", "003-c", "005-e", "004-d"]
    assert result.mode == "llm"


def test_the_run_asks_the_model_for_one_sentence() -> None:
    record, nums = _apart()
    backend = ScriptedBackend(_explains("It resolves DL3042 on line 4."))
    assist(record, nums, FINDINGS, DOCKERFILE, AssistOptions(rag=False, backend=backend))
    assert backend.sentences == [1]


def test_an_endpoints_answer_is_cut_to_the_sentences_asked(monkeypatch: Any) -> None:
    from codi.llm.backend import Backend, LLMSettings
    from codi.llm.runtime import Generation

    def chat(self: Any, messages: Any, schema: Any, max_tokens: int, stop: Any) -> Generation:
        return Generation("It resolves DL3042 on line 4. It is 5 MB. More.", 9, 9, 1, "m", None, "endpoint")

    monkeypatch.setattr("codi.llm.endpoints.EndpointPool.chat", chat)
    got = Backend(LLMSettings(endpoints=["http://127.0.0.1:9"])).generate([{"role": "user", "content": "x"}],
                                                                          sentences=1)
    assert got.text == "It resolves DL3042 on line 4."


def test_none_or_one_candidate_asks_no_ranking() -> None:
    """Regression: with the model on, a run with no candidate (or one) crashed looking for the best's ties."""
    for cands in ([], [candidate("001-a", "a")]):
        nums = metrics([numbers(c.id, -10.0) for c in cands])
        backend = ScriptedBackend(_explains("It resolves DL3042 on line 4."))
        result = assist(run_record(cands), nums, FINDINGS, DOCKERFILE, AssistOptions(rag=False, backend=backend))
        assert [schema for _, schema in backend.requests] == [None] * len(cands)
        assert result.mode == "deterministic" and len(result.ranking) == len(cands)
