"""One parse per text per command: the service parses the original once (analyze) and passes the tree down to
the lint, the fixes and `codi llm rank`'s dry run; each candidate's text (a fix round's result, a rendered and
polished template, a tuned original) is parsed once too, through the run's memo (codi.service.texts), however
many steps (fix rounds, polishing, the tuned and non-root edits, verification, contract, review, estimate) read it.

The count is taken at the parser's entry point (every parse goes through ``codi.parser.parse._Parser``).
"""

from __future__ import annotations

import shutil
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import codi.cli.llm_cmds  # noqa: F401  (registers `llm`)
import codi.cli.project_cmds  # noqa: F401  (registers `run`)
import codi.parser  # noqa: F401  (loads codi.parser.parse)
import codi.service.run as run_module
from codi.cli.app import app
from codi.service.drafts import CandidateSet

DEMO = Path(__file__).resolve().parents[2] / "demo" / "node"
PARSE_MODULE = sys.modules["codi.parser.parse"]


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Counter[str]:
    """Texts parsed, counted; the project is a copy of the node demo, the runs go to tmp_path."""
    seen: Counter[str] = Counter()
    original = PARSE_MODULE._Parser

    class Counting(original):  # type: ignore[misc, valid-type]
        def __init__(self, text: str, path: str, *args: Any, **kwargs: Any) -> None:
            seen[text] += 1
            super().__init__(text, path, *args, **kwargs)

    monkeypatch.setattr(PARSE_MODULE, "_Parser", Counting)
    monkeypatch.setenv("LLM_ENABLED", "0")
    monkeypatch.setenv("CODI_OUTPUT_ROOT", str(tmp_path / "runs"))
    shutil.copytree(DEMO, tmp_path / "node")
    return seen


COMMANDS = pytest.mark.parametrize("args", [["run", "--dry-run"], ["run"], ["llm", "rank"]],
                                   ids=["dry-run", "run", "rank"])


@COMMANDS
def test_the_original_is_parsed_once(parses: Counter[str], tmp_path: Path, args: list[str]) -> None:
    project = tmp_path / "node"
    result = CliRunner().invoke(app, [*args, str(project)])
    assert result.exit_code == 0, result.output
    original = (project / "Dockerfile").read_text(encoding="utf-8")
    assert parses[original] == 1, f"the original was parsed {parses[original]} times"


@pytest.fixture
def candidates(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The texts of the candidates each run builds (run, dry run and `llm rank` all build them in run.py)."""
    texts: list[str] = []
    build = run_module.build_candidates

    def keeping(*args: Any, **kwargs: Any) -> CandidateSet:
        out = build(*args, **kwargs)
        texts.extend(b.text for b in out.built)
        return out

    monkeypatch.setattr(run_module, "build_candidates", keeping)
    return texts


@COMMANDS
def test_each_candidate_is_parsed_once(parses: Counter[str], candidates: list[str], tmp_path: Path,
                                       args: list[str]) -> None:
    """The node demo has three candidates: the fixed original (fix rounds, then the start of the tuned and
    non-root edits), the tuned original and a non-root variant; and catalog templates are rendered, fixed
    and polished before they are checked."""
    project = tmp_path / "node"
    result = CliRunner().invoke(app, [*args, str(project)])
    assert result.exit_code == 0, result.output
    assert len(candidates) >= 3, candidates
    for text in candidates:
        assert parses[text] == 1, f"a candidate was parsed {parses[text]} times:\n{text}"
    twice = {text: n for text, n in parses.items() if n > 1}
    assert not twice, f"{len(twice)} text(s) parsed more than once (fix trials, templates, candidates)"
    if args == ["run"]:  # what the run wrote is what was counted
        written = sorted((tmp_path / "runs").rglob("candidates/*.Dockerfile"))
        assert sorted(p.read_text(encoding="utf-8") for p in written) == sorted(candidates)
