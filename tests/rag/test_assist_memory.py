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
