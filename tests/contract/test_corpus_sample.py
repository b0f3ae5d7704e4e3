"""A sample of the shared corpus (every 10th file): candidates build without error and none that is
offered changes the runtime contract in a way it does not declare."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from codi.optimise.catalog import load_catalog
from codi.optimise.contract import diff_contracts
from codi.service.analyze import analyze
from codi.service.candidates import build_candidates
from codi.service.errors import InputError

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus" / "dockerfiles"
FILES = sorted(p for p in CORPUS.rglob("*") if p.is_file() and p.name != "MANIFEST.tsv")[::10] if CORPUS.is_dir() else []


@pytest.mark.skipif(not FILES, reason=f"shared corpus not present: {CORPUS} is missing")
def test_corpus_sample_offers_no_contract_violation(tmp_path: Path) -> None:
    catalog = load_catalog()
    problems: list[str] = []
    offered = 0
    for i, source in enumerate(FILES):
        project = tmp_path / f"p{i}"
        project.mkdir()
        shutil.copy(source, project / "Dockerfile")
        try:
            analysis = analyze(project)
        except InputError:
            continue  # a file CODI reports as unparsable (file:line): not a candidate question
        assert analysis.contract is not None
        for built in build_candidates(analysis, catalog, 6).built:
            offered += 1
            contract = built.record.contract
            assert contract is not None
            declared = {(c.field, c.key) for c in built.record.contract_changes}
            undeclared = [c.message for c in diff_contracts(analysis.contract, contract)
                          if (c.field, c.key) not in declared]
            if undeclared:
                problems.append(f"{source.name} {built.record.id}: {undeclared}")
    assert offered > 0
    assert not problems, problems
