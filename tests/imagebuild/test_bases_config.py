"""The `[bases]` table of `.codi.toml`: lint accepts it, `codi run --real` uses it; FROM lines with ARGs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fake_engine import FakeEngine, go_project, use_engine
from typer.testing import CliRunner

from codi.cli.app import app
from codi.cli.main import _COMMAND_MODULES
from codi.imagebuild.basemap import apply_base_map
from codi.optimise.catalog import load_catalog
from codi.service.analyze import analyze
from codi.service.candidates import build_candidates
from codi.service.measure import MeasureOptions, measure
from codi.service.run import RunOptions, run_project

TOML = '[bases]\n"golang:*" = "localhost/standin/go:1"\n\n[lint]\nignore = ["DL3007"]\n'


@pytest.fixture()
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    dest = go_project(tmp_path, monkeypatch, None)
    (dest / ".codi.toml").write_text(TOML)
    return dest


def _cli() -> CliRunner:
    import importlib

    for name in _COMMAND_MODULES:
        importlib.import_module(f"codi.cli.{name}")
    return CliRunner()


def test_lint_accepts_a_bases_table(project: Path) -> None:
    # Regression: the lint config loader rejected `[bases]` as an unknown setting (exit 2).
    got = _cli().invoke(app, ["lint", str(project / "Dockerfile")])
    assert got.exit_code in (0, 1), got.output
    assert "unknown setting" not in got.output


def test_lint_rejects_a_bases_value_that_is_not_a_table(project: Path) -> None:
    (project / ".codi.toml").write_text('bases = "golang"\n')
    got = _cli().invoke(app, ["lint", str(project / "Dockerfile")])
    assert got.exit_code == 2
    assert ".codi.toml:1" in got.output and "must be a table" in got.output


def test_run_real_reads_the_projects_bases_table(project: Path, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    engine = FakeEngine()
    use_engine(monkeypatch, engine)
    result = run_project(project, RunOptions(out=tmp_path / "runs", llm=False, rag=False, real=True))
    metrics = json.loads((result.run_dir / "metadata" / "metrics.json").read_text())
    assert metrics["base_map"] == {"golang:1.22": "localhost/standin/go:1"}
    froms = [line for text in engine.texts for line in text.splitlines() if line.startswith("FROM ")]
    assert "FROM localhost/standin/go:1" in froms
    assert not any(line.startswith("FROM golang") for line in froms)
    env = json.loads((result.run_dir / "metadata" / "environment.json").read_text())
    assert env["engine"]["base_map_sources"] == [str(project / ".codi.toml")]


def test_from_lines_expand_global_args_before_lookup() -> None:
    text = ("ARG PY=3.12\n"
            "ARG BASE=golang:1.22\n"
            "FROM python:${PY}-slim AS build\n"
            "ARG PY=3.9\n"  # a stage ARG does not reach later FROM lines
            "FROM ${BASE} AS tools\n"
            "FROM build\n"
            "FROM python:${PY}\n")
    mapping = {"python:*-slim": "local/py-slim", "golang:*": "local/go", "python:3.12": "local/py"}
    out, used = apply_base_map(text, mapping)
    assert out.splitlines() == ["ARG PY=3.12", "ARG BASE=golang:1.22", "FROM local/py-slim AS build",
                                "ARG PY=3.9", "FROM local/go AS tools", "FROM build", "FROM local/py"]
    assert used == {"python:3.12-slim": "local/py-slim", "golang:1.22": "local/go", "python:3.12": "local/py"}


def test_build_args_beat_arg_defaults_and_may_name_a_stage() -> None:
    text = "ARG PY=3.12\nARG BASE=golang:1.22\nFROM python:${PY}-slim AS build\nFROM ${BASE}\n"
    out, used = apply_base_map(text, {"python:*-slim": "local/py-slim", "golang:*": "local/go"},
                               {"PY": "3.13", "BASE": "build"})
    assert out.splitlines()[2:] == ["FROM local/py-slim AS build", "FROM ${BASE}"]
    assert used == {"python:3.13-slim": "local/py-slim"}


def test_unparsable_file_still_maps_literal_from_lines() -> None:
    out, used = apply_base_map("FROM golang:1.22\nONBUILD ONBUILD RUN x\n", {"golang:*": "local/go"})
    assert out.startswith("FROM local/go\n") and used == {"golang:1.22": "local/go"}


def test_measure_builds_the_expanded_rewrite_and_leaves_candidates_alone(project: Path) -> None:
    (project / "Dockerfile").write_text("ARG GO=1.22\nFROM golang:${GO}\nWORKDIR /src\nCOPY . .\n"
                                        "RUN go build -o /greeter .\nCMD [\"/greeter\"]\n")
    analysis = analyze(project, None, None, None)
    cands = build_candidates(analysis, load_catalog(None), 2)
    engine = FakeEngine()
    options = MeasureOptions(min_free_bytes=0)
    result = measure(None, analysis, cands.built, options, engine=engine)
    assert result.base_map == {"golang:1.22": "localhost/standin/go:1"}
    assert "FROM localhost/standin/go:1\n" in engine.texts[0]
    assert "FROM golang:${GO}" in analysis.text
    assert all("localhost/standin" not in c.text for c in cands.built)
    assert engine.build_args[0] == {}


def test_offline_build_with_an_unmapped_missing_base_fails_fast(project: Path) -> None:
    analysis = analyze(project, None, None, None)
    cands = build_candidates(analysis, load_catalog(None), 5)  # fixed, tuned, scratch, then distroless
    distroless = [c for c in cands.built if "distroless" in c.text]
    assert distroless
    ref = "gcr.io/distroless/static-debian12:nonroot"
    engine = FakeEngine(missing={ref})
    result = measure(None, analysis, distroless, MeasureOptions(min_free_bytes=0), engine=engine)
    got = result.candidates[distroless[0].record.id]
    assert got.error is not None and f"base image {ref} is not available offline" in got.error
    assert result.original is not None and result.original.error is None
    assert {tag for tag, _, _ in engine.built} == {result.original.tag}  # the candidate was never built
    assert distroless[0].record.id in result.failed
