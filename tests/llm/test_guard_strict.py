"""The stricter guard: every kept sentence states a checkable fact and contradicts nothing; the summary
starts with CODI's own sentence; the acceptance rate is recorded (scripted backend, no model)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from llmkit import DOCKERFILE, FINDINGS, ScriptedBackend, candidate, metrics, numbers, run_record

from codi.llm.guard import Facts, claims, guard
from codi.service.assist import AssistOptions, assist

FACTS = Facts("Candidates: 001-fixed, 002-go-static-scratch.\n"
              "Change: Static Go binary on scratch. Size (estimated): 1145 MB -> 15 MB, 1130 MB smaller (-98.7%). "
              "Layers: 4 -> 2.\nFixes: CD107 toolchain-final-image (line 2).\nRisk: medium.\n"
              "Diff:\n-FROM golang:1.22\n+FROM golang:1.22 AS build",
              claims={"size": "down", "layers": "down", "risk": "medium"})

# The demo report's headline, word for word: it passed the old guard with 0 removals.
DEMO_FILLER = ("The original Dockerfile is designed to build a Docker image with a specific build stage, which is a "
               "requirement for Docker. The new Dockerfile is designed to build a Docker image with a specific build "
               "stage.")


def test_the_demo_filler_is_dropped() -> None:
    out = guard(DEMO_FILLER, FACTS)
    assert out.kept == 0 and out.vague == 2 and out.removals == 0 and out.text == ""
    assert out.acceptance == 0.0 and "no checkable fact" in out.why_unused()


@pytest.mark.parametrize("sentence", [
    "The image shrinks from 1145 MB to 15 MB.",          # a number
    "002-go-static-scratch is the recommended change.",   # a candidate id
    "It fixes CD107.",                                    # a rule code
    "The build stage now has its own FROM.",              # an instruction
    "It runs on scratch.",                                # an image
    "It builds in golang:1.22 and keeps only the binary.",
])
def test_each_kind_of_checkable_fact_anchors_a_sentence(sentence: str) -> None:
    out = guard(sentence, FACTS)
    assert out.kept == 1 and out.text == sentence, (out.removed, out.contradictions, out.vague)


@pytest.mark.parametrize("sentence", [
    "It is a cleaner and more secure build stage.",
    "This makes the container easier to maintain.",
    "The toolchain is no longer needed at runtime.",       # shares words with the facts, states no fact
])
def test_generic_filler_is_dropped(sentence: str) -> None:
    assert guard(sentence, FACTS).vague == 1


def test_an_unknown_candidate_id_is_an_invention() -> None:
    out = guard("005-go-static-distroless is even better.", FACTS)
    assert out.removals == 1 and "005-go-static-distroless" in out.removed[0]


@pytest.mark.parametrize("sentence", [
    "The image is 98.7% larger.",                          # the facts: smaller
    "The image grows from 15 MB to 1145 MB.",              # numbers right, direction wrong
    "It has more layers than the FROM golang:1.22 original.",
    "Changing FROM is a low-risk change.",                 # the facts: medium
])
def test_a_sentence_contradicting_the_facts_is_dropped(sentence: str) -> None:
    out = guard(sentence, FACTS)
    assert out.kept == 0 and len(out.contradictions) == 1 and out.removals == 0, out


def test_a_sentence_contradicting_an_earlier_one_is_dropped() -> None:
    facts = Facts("Size: 1145 MB -> 15 MB, 1130 MB smaller.")  # no claims given: only the sentences disagree
    out = guard("The image is 1130 MB smaller. The image is 15 MB larger. It is 15 MB in the end.", facts)
    assert out.text == "The image is 1130 MB smaller. It is 15 MB in the end."
    assert len(out.contradictions) == 1 and "earlier sentence" in out.contradictions[0]


def test_claims_read_direction_and_risk() -> None:
    assert claims("The image goes from 1.1 GB to 15 MB.") == [("size", "down")]
    assert claims("Layers go from 4 to 2.") == [("layers", "down")]
    assert claims("It reduces the image size by 98%.") == [("size", "down")]
    assert claims("It is a high-risk change with fewer layers.") == [("layers", "down"), ("risk", "high")]
    assert claims("It reduces rebuild time.") == []  # not about size


def _tied_run() -> tuple[Any, Any]:
    cands = [candidate("001-fixed", "fixed", risk="low", resolves=2), candidate("002-a", "a", risk="low", resolves=2)]
    return run_record(cands), metrics([numbers("001-fixed", -50.0), numbers("002-a", -52.0)])


def _backend(text: str) -> ScriptedBackend:
    return ScriptedBackend(lambda m, schema: json.dumps({"order": ["A", "B"]}) if schema else text)


def test_summary_starts_with_codi_and_adds_accepted_model_text() -> None:
    record, nums = _tied_run()
    text = "The runtime image is python:3.12-slim. It is designed to be great. It fixes DL3042."
    result = assist(record, nums, FINDINGS, DOCKERFILE, AssistOptions(rag=False, backend=_backend(text)))
    ex = result.explain
    assert ex["summary"].startswith(ex["summary_codi"]) and ex["summary_codi"].startswith("CODI recommends 002-a: ")
    assert ex["summary"] == ex["summary_codi"] + " The runtime image is python:3.12-slim. It fixes DL3042."
    assert ex["summary_source"] == "codi+llm" and ex["summary_model_note"] is None
    m = result.llm_metrics
    assert (m["model_sentences"], m["accepted_sentences"], m["acceptance"]) == (3, 2, round(2 / 3, 3))
    assert result.artifacts()["metadata/llm_metrics.json"]["acceptance"] == m["acceptance"]


def test_summary_says_why_the_model_text_was_not_used() -> None:
    record, nums = _tied_run()
    result = assist(record, nums, FINDINGS, DOCKERFILE, AssistOptions(rag=False, backend=_backend(DEMO_FILLER)))
    ex = result.explain
    assert ex["summary"] == ex["summary_codi"] and ex["summary_source"] == "deterministic"
    assert "not used" in ex["summary_model_note"] and "no checkable fact" in ex["summary_model_note"]
    assert "designed" not in ex["summary"]
    assert result.llm_metrics["acceptance"] == 0.0 and result.llm_metrics["vague_removals"] == 2


def test_a_model_text_contradicting_the_numbers_is_not_the_summary() -> None:
    record, nums = _tied_run()
    text = "The image goes from 100 MB to 1000 MB."  # the facts: 1000 MB -> 100 MB
    result = assist(record, nums, FINDINGS, DOCKERFILE, AssistOptions(rag=False, backend=_backend(text)))
    assert result.explain["summary_model"] is None and "contradicted" in result.explain["summary_model_note"]
    assert result.llm_metrics["contradictions"] == 1


def test_without_a_model_the_acceptance_is_none_and_the_summary_says_so() -> None:
    record, nums = _tied_run()
    result = assist(record, nums, FINDINGS, DOCKERFILE, AssistOptions(llm=False, rag=False))
    assert result.llm_metrics["acceptance"] is None and result.llm_metrics["model_sentences"] == 0
    assert "not used" in result.explain["summary_model_note"]


@pytest.mark.parametrize("sentence", [
    "The risk is medium.",
    "It is a medium-risk change that makes the image smaller.",
    "It uses BuildKit cache mounts, and the risk is medium.",
])
def test_a_claim_the_facts_confirm_is_a_checkable_fact(sentence: str) -> None:
    """The guard checks claims about size, layers and risk against the facts: one it confirms is a fact of
    the run, not filler (regression: "It runs on BuildKit cache mounts, and the risk is low." was dropped as
    stating nothing checkable although the candidate's risk is low)."""
    out = guard(sentence, FACTS)
    assert out.kept == 1 and out.text == sentence, (out.removed, out.contradictions, out.vague)


@pytest.mark.parametrize("sentence", ["The risk is low.", "It makes the image larger."])
def test_a_claim_the_facts_refute_is_a_contradiction_not_filler(sentence: str) -> None:
    out = guard(sentence, FACTS)
    assert out.kept == 0 and out.vague == 0 and len(out.contradictions) == 1
