"""One parse of the original per command: the service parses it once (analyze) and passes the tree down to
the lint, the fixes and `codi llm rank`'s dry run, instead of each step reading and parsing it again.

The count is taken at the parser's entry point (every parse goes through ``codi.parser.parse._Parser``).
Candidates are not counted here: each is still parsed more than once (rendering, polishing, verifying).
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
from codi.cli.app import app

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


@pytest.mark.parametrize("args", [["run", "--dry-run"], ["run"], ["llm", "rank"]], ids=["dry-run", "run", "rank"])
def test_the_original_is_parsed_once(parses: Counter[str], tmp_path: Path, args: list[str]) -> None:
    project = tmp_path / "node"
    result = CliRunner().invoke(app, [*args, str(project)])
    assert result.exit_code == 0, result.output
    original = (project / "Dockerfile").read_text(encoding="utf-8")
    assert parses[original] == 1, f"the original was parsed {parses[original]} times"
