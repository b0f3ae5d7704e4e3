"""Every entry point recommends the same candidate: one score (codi.llm.ranking) for all of them.

`codi run --dry-run`, `codi run`, `codi llm rank` and the API (`/run`, `/llm/rank`) on the same
project. demo/go with 6 candidates has two near-tied catalog candidates (static binary on scratch
and on distroless), the case that used to differ between the dry run and the others.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from llmkit import ScriptedBackend
from typer.testing import CliRunner

import codi.cli.llm_cmds  # noqa: F401  (registers the commands)
import codi.cli.project_cmds  # noqa: F401
from codi.cli.app import app
from codi.llm.ranking import deterministic, tie_groups
from codi.service.run import RunOptions, run_project

pytest.importorskip("fastapi", reason="the API needs fastapi")
from fastapi.testclient import TestClient  # noqa: E402

from codi.api.app import create_app  # noqa: E402
from codi.api.settings import ApiSettings  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
LIMIT = 6
KEY = "test-key-0123456789abcdef"
runner = CliRunner()


@pytest.fixture(scope="module")
def roots(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("everywhere")
    shutil.copytree(REPO / "demo" / "go", base / "allowed" / "go")
    return {"project": base / "allowed" / "go", "allowed": base / "allowed", "runs": base / "runs"}


@pytest.fixture(scope="module")
def client(roots: dict[str, Path]) -> Iterator[TestClient]:
    settings = ApiSettings(keys=[KEY], allowed_roots=[roots["allowed"].resolve()], runs_root=roots["runs"],
                           job_workers=1)
    with TestClient(create_app(settings), raise_server_exceptions=False) as c:
        c.headers["Authorization"] = f"Bearer {KEY}"
        yield c


def _entry_points(roots: dict[str, Path], client: TestClient, llm: bool) -> dict[str, str | None]:
    project, runs = roots["project"], roots["runs"]
    flags = [] if llm else ["--no-llm"]
    picks: dict[str, str | None] = {}
    dry = runner.invoke(app, ["run", str(project), "--dry-run", "--json", "--candidate-limit", str(LIMIT),
                              "--out", str(runs), *flags])
    assert dry.exit_code == 0, dry.output
    picks["codi run --dry-run"] = json.loads(dry.stdout)["run"]["recommendation"]["candidate_id"]
    full = run_project(project, RunOptions(out=runs, candidate_limit=LIMIT, llm=llm))
    assert full.record.recommendation is not None
    picks["codi run"] = full.record.recommendation.candidate_id
    rank = runner.invoke(app, ["llm", "rank", str(project), "--json", "--candidate-limit", str(LIMIT),
                               "--out", str(runs), *flags])
    assert rank.exit_code == 0, rank.output
    picks["codi llm rank"] = json.loads(rank.stdout)["ranking"][0]["candidate_id"]
    ranked_run = runner.invoke(app, ["llm", "rank", str(full.run_dir), "--json", "--out", str(runs), *flags])
    assert ranked_run.exit_code == 0, ranked_run.output
    picks["codi llm rank RUN_DIR"] = json.loads(ranked_run.stdout)["ranking"][0]["candidate_id"]
    body = {"project_path": str(project), "candidate_limit": LIMIT, "llm": llm}
    api_rank = client.post("/llm/rank", json=body)
    assert api_rank.status_code == 200, api_rank.text
    picks["POST /llm/rank"] = api_rank.json()["ranking"][0]["candidate_id"]
    api_run = client.post("/run", json=body)
    assert api_run.status_code == 200, api_run.text
    picks["POST /run"] = api_run.json()["run"]["recommendation"]["candidate_id"]
    return picks


def test_the_demo_has_a_near_tie_at_the_top() -> None:
    """The case this file is about: without a tie the old formulas agreed anyway."""
    result = run_project(REPO / "demo" / "go", RunOptions(dry_run=True, candidate_limit=LIMIT, rag=False))
    numbers = {n.candidate_id: n for n in result.metrics.candidates}
    top_group = tie_groups(deterministic(result.record.candidates, numbers))[0]
    assert len(top_group) >= 2, [s.candidate_id for s in top_group]


def test_every_entry_point_recommends_the_same_candidate(roots: dict[str, Path], client: TestClient) -> None:
    picks = _entry_points(roots, client, llm=False)
    assert len(set(picks.values())) == 1 and None not in picks.values(), picks


def test_with_a_model_every_entry_point_that_asks_it_agrees(roots: dict[str, Path], client: TestClient,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """A model that reverses every order: it may only swap the tied top pair, and it does so everywhere.

    The dry run does not load a model: it names the candidates a model may put first instead.
    """
    def answer(messages: list[dict[str, str]], schema: dict[str, Any] | None) -> str:
        if schema is not None:
            labels = re.findall(r"^(\w): ", messages[-1]["content"], re.MULTILINE)
            return json.dumps({"order": labels[::-1]})
        return "It is smaller."

    monkeypatch.setattr("codi.service.assist.Backend", lambda settings: ScriptedBackend(answer))
    picks = _entry_points(roots, client, llm=True)
    dry = picks.pop("codi run --dry-run")
    assert len(set(picks.values())) == 1 and None not in picks.values(), picks
    chosen = next(iter(picks.values()))
    assert chosen != dry  # the model swapped the tie ...
    reason = run_project(roots["project"], RunOptions(dry_run=True, candidate_limit=LIMIT)).record.recommendation
    assert reason is not None and chosen in reason.reason and "may reorder" in reason.reason  # ... as announced
