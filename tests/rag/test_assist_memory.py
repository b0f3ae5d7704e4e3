"""Past runs change what a later run sees: matches in rag.json and a score bonus for rules that did well."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "llm"))

from llmkit import DOCKERFILE, FINDINGS, candidate, metrics, numbers, run_record  # noqa: E402

from codi.rag.index import open_memory  # noqa: E402
from codi.rag.memory import Outcome, RunDoc, add  # noqa: E402
from codi.rag.store import index_path  # noqa: E402
from codi.service.assist import AssistOptions, assist  # noqa: E402


def _record() -> tuple[object, object]:
    cands = [candidate("001-fixed", "fixed"), candidate("002-python-slim", "python-slim")]
    return run_record(cands), metrics([numbers("001-fixed", -50.0), numbers("002-python-slim", -48.0)])


def test_memory_changes_the_next_run(tmp_path: Path, backend: str) -> None:
    record, nums = _record()
    before = assist(record, nums, FINDINGS, DOCKERFILE, AssistOptions(out=tmp_path, llm=False))  # type: ignore[arg-type]
    assert before.rag["enabled"] and before.rag["matches"] == [] and not index_path(tmp_path).exists()
    assert before.ranking[0]["candidate_id"] == "001-fixed"
    conn = open_memory(tmp_path)
    for i in range(2):
        add(conn, RunDoc(run_id=f"past-{i}", stack="python", base_images=["python:3.12"], findings=["DL3042"],
                         outcomes=[Outcome("002-python-slim", "python-slim", "variant", "measured", -80.0, 0,
                                           True, applied=True)]))
    conn.close()
    after = assist(record, nums, FINDINGS, DOCKERFILE, AssistOptions(out=tmp_path, llm=False))  # type: ignore[arg-type]
    assert [m["run_id"] for m in after.rag["matches"]] == ["past-0", "past-1"]
    assert "python" in after.rag["query"] and after.rag["evidence"]["python-slim"] > 0
    assert after.ranking[0]["candidate_id"] == "002-python-slim"
    off = assist(record, nums, FINDINGS, DOCKERFILE, AssistOptions(out=tmp_path, llm=False, rag=False))  # type: ignore[arg-type]
    assert off.rag["enabled"] is False and off.rag["matches"] == []
    assert off.ranking[0]["candidate_id"] == "001-fixed"


def test_a_past_run_stays_out_of_the_models_prompt_and_facts(tmp_path: Path, backend: str) -> None:
    """Regression: the best past match's summary was appended to the explain prompt. The shipped adapter,
    never trained on it, repeated candidate ids until the token cap (every second run of a demo), and the
    past run's numbers ("-80.0%") were facts the guard accepted although this run does not hold them."""
    from llmkit import ScriptedBackend

    from codi.llm import prompts

    record, nums = _record()
    conn = open_memory(tmp_path)
    add(conn, RunDoc(run_id="past-0", stack="python", base_images=["python:3.12"], findings=["DL3042"],
                     outcomes=[Outcome("002-python-slim", "python-slim", "variant", "measured", -80.0, 0, True)]))
    conn.close()
    scripted = ScriptedBackend(lambda m, schema: '{"order": ["A", "B"]}' if schema else
                               "A similar project saved 80.0% of its size.")
    result = assist(record, nums, FINDINGS, DOCKERFILE,  # type: ignore[arg-type]
                    AssistOptions(out=tmp_path, backend=scripted))
    assert result.rag["matches"]  # the memory was consulted ...
    best = next(c for c in record.candidates if c.id == result.top)  # type: ignore[attr-defined]
    n = next(x for x in nums.candidates if x.candidate_id == best.id)  # type: ignore[attr-defined]
    explain = [m for m, schema in scripted.requests if schema is None][0]
    # ... but the model sees the candidate's facts only, exactly as it was trained,
    assert explain == prompts.explain_messages(prompts.candidate_facts(best, n, nums.original, FINDINGS))  # type: ignore[attr-defined]
    # and a number of the past run is not one of this run's facts.
    assert result.explain["candidates"][0]["source"] == "deterministic"
