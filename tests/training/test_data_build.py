"""`codi data build` on the bundled fixture corpus: format, splits, dedup, guard, card."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from codi.llm import prompts
from codi.llm.guard import Facts, guard
from codi.service.assist import AssistOptions, assist
from codi.service.assist_inputs import inputs_from_project
from codi.training.corpus import BUNDLED_CORPUS
from codi.training.data import SPLITS, BuildOptions, assign_splits, build
from codi.training.pairs import rank_pair, runtime_facts

KEYS = ["id", "task", "messages", "source", "stack", "licence", "split"]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    out = tmp_path_factory.mktemp("data")
    card = build(BuildOptions(out=out, corpus=BUNDLED_CORPUS, seed=7, progress=lambda _t: None))
    return out, card


def _rows(out: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for s in SPLITS for line in (out / f"{s}.jsonl").read_text().splitlines()]


def test_rows_have_the_fixed_keys_and_every_task(built: tuple[Path, dict[str, Any]]) -> None:
    out, card = built
    rows = _rows(out)
    assert rows and all(list(r) == KEYS for r in rows)
    assert {r["task"] for r in rows} == {"rank", "explain", "rewrite"}
    assert all(r["messages"][-1]["role"] == "assistant" and r["messages"][-1]["content"] for r in rows)
    assert sum(card["pairs"].values()) == len(rows)
    assert {r["licence"] for r in rows} <= {"MIT", "Apache-2.0"}
    assert any(r["licence"] == "Apache-2.0" and r["source"] == "corpus/go-api.Dockerfile" for r in rows)


def test_splits_are_disjoint_by_source_and_hashed(built: tuple[Path, dict[str, Any]]) -> None:
    out, card = built
    by_source: dict[str, set[str]] = {}
    for r in _rows(out):
        by_source.setdefault(r["source"], set()).add(r["split"])
    assert all(len(s) == 1 for s in by_source.values())
    # the near-duplicate copy shares its cluster, so the pair of files lives in one split
    flask = by_source.get("corpus/python-flask.Dockerfile", set()) | by_source.get(
        "corpus/python-flask-copy.Dockerfile", set())
    assert len(flask) <= 1
    splits = json.loads((out / "splits.json").read_text())
    for name in SPLITS:
        assert splits["splits"][name]["sha256"] == hashlib.sha256((out / f"{name}.jsonl").read_bytes()).hexdigest()
    assert all(card["pairs"][s] > 0 for s in SPLITS)


def test_duplicates_are_removed_by_content(built: tuple[Path, dict[str, Any]]) -> None:
    out, card = built
    rows = _rows(out)
    keys = [json.dumps([r["task"], r["messages"]], sort_keys=True) for r in rows]
    assert len(keys) == len(set(keys))
    assert card["duplicates_removed"] > 0  # python-flask-copy is a byte copy of python-flask
    flask = {r["source"] for r in rows if r["source"].startswith("corpus/python-flask")}
    assert len(flask) == 1  # the first of the two copies keeps the pairs


def test_stratified_assignment_is_seeded_and_proportional() -> None:
    groups = {f"g{i}": ("python" if i < 50 else "node") for i in range(70)}
    first, again = assign_splits(groups, 3), assign_splits(groups, 3)
    assert first == again and assign_splits(groups, 4) != first
    python = [first[g] for g in groups if groups[g] == "python"]
    assert (python.count("train"), python.count("val"), python.count("test")) == (40, 5, 5)
    node = [first[g] for g in groups if groups[g] == "node"]
    assert (node.count("train"), node.count("val"), node.count("test")) == (16, 2, 2)


def _project(tmp_path: Path, name: str) -> Path:
    project = tmp_path / name
    project.mkdir()
    shutil.copyfile(BUNDLED_CORPUS / f"{name}.Dockerfile", project / "Dockerfile")
    return project


class _Recorder:
    """A backend that records the chats the runtime sends and answers nothing useful."""

    def __init__(self) -> None:
        from codi.llm.backend import LLMSettings

        self.settings = LLMSettings()
        self.notes: list[str] = []
        self.sent: list[list[dict[str, str]]] = []

    def generate(self, messages: list[dict[str, str]], schema: Any = None, max_tokens: int = 0,
                 stop: Any = None, sentences: int | None = None) -> Any:
        from codi.llm.runtime import Generation

        self.sent.append(messages)
        return Generation(text="{}" if schema else "", prompt_tokens=0, completion_tokens=0, latency_ms=0,
                          model_id="recorder", adapter_version=None, backend="embedded")


def test_prompts_equal_what_the_runtime_sends(built: tuple[Path, dict[str, Any]], tmp_path: Path) -> None:
    out, _ = built
    rows = [r for r in _rows(out) if r["source"] == "corpus/node-web.Dockerfile"]
    inputs = inputs_from_project(_project(tmp_path, "node-web"))
    recorder = _Recorder()
    assist(inputs.record, inputs.metrics, inputs.findings, inputs.text,
           AssistOptions(llm=True, rag=False, backend=recorder, limit=len(inputs.record.candidates)))  # type: ignore[arg-type]
    prompts_of = {json.dumps(r["messages"][:-1]) for r in rows}
    rank_chat, *explain_chats = recorder.sent
    assert json.dumps(rank_chat) in prompts_of
    assert explain_chats and all(json.dumps(chat) in prompts_of for chat in explain_chats)
    rank = rank_pair(inputs.record, inputs.metrics)
    assert rank is not None and json.loads(rank.messages[-1]["content"])["order"][0] == "A"


def test_every_explain_target_is_accepted_by_the_guard(built: tuple[Path, dict[str, Any]], tmp_path: Path) -> None:
    out, _ = built
    rows = [r for r in _rows(out) if r["task"] == "explain"]
    assert len(rows) >= 5
    texts = {r["messages"][-1]["content"] for r in rows}
    assert len(texts) == len(rows)  # varied phrasing, not one template
    for r in rows:
        facts = r["messages"][1]["content"].rsplit("\n\nWhy is this change", 1)[0]
        checked = guard(r["messages"][-1]["content"], Facts(facts))
        assert checked.kept == checked.sentences >= 1, (r["id"], checked.why_unused())
    # and against the runtime's own facts with the claims, for one project end to end
    inputs = inputs_from_project(_project(tmp_path, "python-worker"))
    numbers = {n.candidate_id: n for n in inputs.metrics.candidates}
    for c in inputs.record.candidates:
        n = numbers.get(c.id)
        user = prompts.explain_messages(prompts.candidate_facts(c, n, inputs.metrics.original, inputs.findings))[1]
        row = next(r for r in rows if r["messages"][1] == user)
        facts = runtime_facts(inputs.record, c, n, inputs.metrics, user["content"])
        checked = guard(row["messages"][-1]["content"], facts)
        assert checked.kept == checked.sentences and not checked.contradictions


def test_card_counts_and_markdown(built: tuple[Path, dict[str, Any]]) -> None:
    out, card = built
    on_disk = json.loads((out / "data_card.json").read_text())
    assert on_disk["pairs"] == card["pairs"]
    assert set(on_disk["by_split_stack"]) == set(SPLITS) and on_disk["tokens"]["by_task"]["explain"]["count"] > 0
    assert on_disk["licences"]["train"]
    md = (out / "DATA_CARD.md").read_text()
    assert "Pairs per split and stack" in md and "sha256" in md


def test_limit_takes_a_seeded_sample(tmp_path: Path) -> None:
    card = build(BuildOptions(out=tmp_path, corpus=BUNDLED_CORPUS, limit=3, seed=1, progress=lambda _t: None))
    assert card["sources"]["total"] == 3


def test_cli_data_build_on_the_bundled_corpus(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from codi.cli import data_cmds  # noqa: F401 - attaches the commands
    from codi.cli.app import app

    result = CliRunner().invoke(app, ["data", "build", "--out", str(tmp_path), "--limit", "2", "--json"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "splits.json").is_file() and (tmp_path / "DATA_CARD.md").is_file()
    missing = CliRunner().invoke(app, ["data", "build", "--corpus", str(tmp_path / "nope"), "--out", str(tmp_path)])
    assert missing.exit_code == 2


def test_same_seed_same_files(built: tuple[Path, dict[str, Any]], tmp_path: Path) -> None:
    out, _ = built
    build(BuildOptions(out=tmp_path, corpus=BUNDLED_CORPUS, seed=7, progress=lambda _t: None))
    for name in SPLITS:
        assert (tmp_path / f"{name}.jsonl").read_bytes() == (out / f"{name}.jsonl").read_bytes()
