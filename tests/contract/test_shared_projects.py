"""`codi run` end to end over the real projects in shared/projects: valid runs, and offered candidates
change the runtime contract only in declared ways."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import jsonschema
import pytest

from codi.optimise.contract import diff_contracts
from codi.service.run import RunOptions, RunResult, run_project

REPO = Path(__file__).resolve().parents[2]
PROJECTS = REPO.parent / "shared" / "projects"
SCHEMAS = REPO / "schemas"
MANIFEST = PROJECTS / "MANIFEST.tsv"


def _manifest() -> list[dict[str, str]]:
    if not MANIFEST.is_file():
        return []
    with MANIFEST.open(newline="") as fh:
        return sorted(csv.DictReader(fh, delimiter="\t"), key=lambda r: r["project"])


ROWS = _manifest()
NAMES = [r["project"] for r in ROWS] or ["(none)"]
pytestmark = pytest.mark.skipif(not ROWS, reason=f"shared projects not present: {MANIFEST} is missing "
                                                 "(these tests need /work/shared/projects)")

# The stack a run should report when it differs from the folder's stack word (MANIFEST `stack`).
EXPECTED_STACK = {"node-excalidraw-yarn-nginx": "static"}


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, RunResult | BaseException]:
    out = tmp_path_factory.mktemp("shared-runs")
    results: dict[str, RunResult | BaseException] = {}
    for row in ROWS:
        try:
            results[row["project"]] = run_project(PROJECTS / row["project"], RunOptions(llm=False, rag=False, out=out,
                                                                                     candidate_limit=6))
        except Exception as exc:  # reported per project by the tests below
            results[row["project"]] = exc
    return results


def _result(runs: dict[str, RunResult | BaseException], name: str) -> RunResult:
    got = runs[name]
    if isinstance(got, BaseException):
        raise AssertionError(f"{name}: run_project raised {type(got).__name__}: {got}") from got
    return got


def _validate(run_dir: Path) -> None:
    for name in ("run", "analysis", "metrics", "environment"):
        data = json.loads((run_dir / "metadata" / f"{name}.json").read_text())
        schema = json.loads((SCHEMAS / f"{name}.schema.json").read_text())
        jsonschema.validate(data, schema)


@pytest.mark.parametrize("name", NAMES)
def test_project_run_is_valid_and_keeps_the_contract(runs: dict[str, RunResult | BaseException], name: str) -> None:
    result = _result(runs, name)
    record = result.record
    assert result.run_dir is not None and (result.run_dir / "inputs" / "Dockerfile").is_file()
    _validate(result.run_dir)
    assert record.contract is not None
    for cand in record.candidates:
        assert cand.contract is not None, cand.id
        assert (result.run_dir / cand.path).is_file(), cand.id
        intended = {(c.field, c.key) for c in cand.contract_changes}
        undeclared = [ch.message for ch in diff_contracts(record.contract, cand.contract)
                      if (ch.field, ch.key) not in intended]
        assert not undeclared, f"{cand.id}: undeclared contract changes: {undeclared}"
    for rej in record.rejected:
        assert rej.reason, rej.rule_id
    offered = {c.id for c in record.candidates}
    assert record.recommendation is not None
    assert record.recommendation.candidate_id is None or record.recommendation.candidate_id in offered
    if not offered:
        assert record.recommendation.candidate_id is None
        assert record.rejected, "nothing offered and nothing rejected"


@pytest.mark.parametrize("name", NAMES)
def test_nothing_offered_is_explained_in_the_notes(runs: dict[str, RunResult | BaseException], name: str) -> None:
    record = _result(runs, name).record
    if record.candidates:
        return
    assert any(n.startswith("nothing offered") for n in record.notes), (f"{name}: no candidate offered and no run note says why; rejected: "
                          f"{[(r.rule_id, r.reason[:80]) for r in record.rejected]}")


@pytest.mark.parametrize("name", NAMES)
def test_stack_is_the_runtime_stack(runs: dict[str, RunResult | BaseException], name: str) -> None:
    row = next((r for r in ROWS if r["project"] == name), None)
    assert row is not None
    assert _result(runs, name).record.stack == EXPECTED_STACK.get(name, row["stack"])


def test_unknown_bases_are_never_swapped(runs: dict[str, RunResult | BaseException]) -> None:
    seen = 0
    for name in NAMES:
        record = _result(runs, name).record
        if record.contract is None or record.contract.base_known or record.contract.base is None:
            continue
        seen += 1
        for cand in record.candidates:
            assert cand.contract is not None and cand.contract.base == record.contract.base, (name, cand.id)
        assert any("unknown to CODI" in n for n in record.notes), (name, record.notes)
    assert seen, "no shared project has an unknown base any more: this test checks nothing"
