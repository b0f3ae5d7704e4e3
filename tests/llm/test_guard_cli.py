"""The invention guard, and `codi llm rank|explain --json` shapes on a demo (deterministic path)."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

import codi.cli.llm_cmds  # noqa: F401  (registers the commands)
from codi.cli.app import app
from codi.llm.guard import Facts, guard, sentences

REPO = Path(__file__).resolve().parents[2]
runner = CliRunner()
FACTS = Facts("Candidate 002: runtime base image python:3.12-slim. Image size (estimated): 1044 MB before, "
              "157 MB after (-85.0%). Fixes DL3042@14. Changed lines:\n+FROM python:3.12-slim AS runtime\n+USER app")


def test_guard_keeps_supported_sentences() -> None:
    text = ("The image shrinks from 1044 MB to 157 MB, about 85% smaller. It runs as a non-root USER. "
            "It resolves DL3042 for pip.")
    out = guard(text, FACTS)
    assert out.removals == 0 and out.kept == 3 and out.text == text


def test_guard_drops_invented_numbers_images_instructions_codes() -> None:
    text = ("It uses python:3.12-slim. It saves 900 MB. Switch to alpine for more. It adds a HEALTHCHECK. "
            "It fixes DL3008 too. It is safer")
    out = guard(text, FACTS)
    assert out.text == "It uses python:3.12-slim."
    assert out.removals == 4 and any("900" in r for r in out.removed) and any("DL3008" in r for r in out.removed)


def test_guard_caps_sentences() -> None:
    facts = Facts("1 2 3 4 5 6")
    out = guard("Step 1. Step 2. Step 3. Step 4. Step 5. Step 6.", facts)
    assert out.kept == 4 and out.sentences == 6 and out.acceptance == round(4 / 6, 3)
    assert sentences("One.  Two?\nThree!") == ["One.", "Two?", "Three!"]


def test_cli_rank_and_explain_json(tmp_path: Path) -> None:
    args = [str(REPO / "demo" / "python"), "--json", "--no-llm", "--out", str(tmp_path)]
    rank = runner.invoke(app, ["llm", "rank", *args])
    assert rank.exit_code == 0, rank.output
    data = json.loads(rank.stdout)
    assert set(data) == {"mode", "ranking", "rationale", "llm_metrics"} and data["mode"] == "deterministic"
    assert [r["rank"] for r in data["ranking"]] == list(range(1, len(data["ranking"]) + 1))
    assert "disabled" in data["llm_metrics"]["fallback_reason"]
    explain = runner.invoke(app, ["llm", "explain", *args, "--limit", "1"])
    assert explain.exit_code == 0, explain.output
    data = json.loads(explain.stdout)
    assert set(data) == {"summary", "rationale", "candidates", "llm_metrics"}
    # --limit 1: every candidate is explained, only the best one by the model (here off: deterministic).
    ranked = [r["candidate_id"] for r in json.loads(rank.stdout)["ranking"]]
    assert [e["candidate_id"] for e in data["candidates"]] == ranked and len(ranked) >= 2
    assert all(e["source"] == "deterministic" and e["text"] for e in data["candidates"])
    assert all("explain limit" in e["note"] for e in data["candidates"][1:]) and "note" not in data["candidates"][0]
    assert not (tmp_path / "_rag").exists()  # reading the memory never creates it
    bad = runner.invoke(app, ["llm", "rank", str(tmp_path / "nope"), "--no-llm"])
    assert bad.exit_code == 2
