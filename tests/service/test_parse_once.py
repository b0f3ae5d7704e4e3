"""One parse per text per command: the service parses the original once (analyze) and passes the tree down to
the lint, the fixes and `codi llm rank`'s dry run; each candidate's text (a fix round's result, a rendered and
polished template, a tuned original) is parsed once too, through the run's memo (codi.service.texts), however
many steps (fix rounds, polishing, the tuned and non-root edits, verification, contract, review, estimate) read it.

The count is taken at the parser's entry point (every parse goes through ``codi.parser.parse._Parser``), and
the models at the model builder's (``codi.parser.semantic._Builder``): the demo has no build args, so the service's
model of a text is the one its lint reads.
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
import codi.parser.semantic as semantic
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
def models(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """Models built, counted by the text they model."""
    seen: Counter[str] = Counter()
    original = semantic._Builder

    class Counting(original):  # type: ignore[misc, valid-type]
        def __init__(self, df: Any, *args: Any, **kwargs: Any) -> None:
            seen[df.text] += 1
            super().__init__(df, *args, **kwargs)

    monkeypatch.setattr(semantic, "_Builder", Counting)
    return seen


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
def test_each_candidate_is_parsed_and_modelled_once(parses: Counter[str], models: Counter[str],
                                                    candidates: list[str], tmp_path: Path, args: list[str]) -> None:
    """The node demo has three candidates: the fixed original (fix rounds, then the start of the tuned and
    non-root edits), the tuned original and a non-root variant; and catalog templates are rendered, fixed
    and polished before they are checked."""
    project = tmp_path / "node"
    result = CliRunner().invoke(app, [*args, str(project)])
    assert result.exit_code == 0, result.output
    assert len(candidates) >= 3, candidates
    for text in candidates:
        assert parses[text] == 1, f"a candidate was parsed {parses[text]} times:\n{text}"
        assert models[text] == 1, f"a candidate was modelled {models[text]} times:\n{text}"
    twice = {text: n for text, n in parses.items() if n > 1}
    assert not twice, f"{len(twice)} text(s) parsed more than once (fix trials, templates, candidates)"
    twice = {text: n for text, n in models.items() if n > 1}
    assert not twice, f"{len(twice)} text(s) modelled more than once (the original included)"
    if args == ["run"]:  # what the run wrote is what was counted
        written = sorted((tmp_path / "runs").rglob("candidates/*.Dockerfile"))
        assert sorted(p.read_text(encoding="utf-8") for p in written) == sorted(candidates)


def _exhausting() -> str:
    """A file whose model spends most of the file's expansion budget (96 ARGs of 40,960 characters), and whose
    rules' expansions (WORKDIR, USER, COPY, ...) spend the rest: CD0003 only when both are charged."""
    lines = ["FROM alpine:3.20", "ARG V0=0123456789"] + [f"ARG V{i}=" + f"${{V{i - 1}}}" * 8 for i in range(1, 5)]
    lines += [f"ARG W{i}=$V4" for i in range(96)]
    lines += ["WORKDIR /$W1", "USER $W2", "COPY $W4 /x", "LABEL a=$W5", "VOLUME $W6", "STOPSIGNAL $W7",
              "RUN echo " + " ".join(f"$W{i}" for i in range(20)), 'CMD ["sh"]']
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("text", [_exhausting(), "FROM alpine:3.20\nARG A=" + "${B:-" * 100 + "x" + "}" * 100 + "\n"],
                         ids=["budget", "nested"])
def test_a_lint_on_the_runs_model_finds_what_its_own_model_finds(tmp_path: Path, text: str) -> None:
    """The lint reading the service's model charges what that model's build spent to its own expansion budget,
    so a file past the limit is reported (CD0003) as when the lint builds the model itself."""
    from codi.parser.parse import parse_syntax
    from codi.parser.semantic import build_model
    from codi.service.linting import lint_project_file

    path = tmp_path / "Dockerfile"
    path.write_text(text, encoding="utf-8")
    linter = lint_project_file(path)
    tree = parse_syntax(text, str(path))
    own = [f.payload() for f in linter.lint_text(text, syntax=tree)]
    model = build_model(tree)
    reused = [f.payload() for f in linter.lint_text(text, syntax=tree, model=model)]
    assert "CD0003" in {f["code"] for f in own}
    assert reused == own
