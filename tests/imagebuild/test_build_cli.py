"""`codi perf` and `codi bases` through the CLI (no builds)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from codi.cli.app import app
from codi.cli.main import _COMMAND_MODULES

DEMOS = Path(__file__).resolve().parents[2] / "demo"


@pytest.fixture(scope="module")
def runner() -> CliRunner:
    import importlib

    for name in _COMMAND_MODULES:
        importlib.import_module(f"codi.cli.{name}")
    return CliRunner()


def test_perf_writes_report_and_fails_over_budget(runner: CliRunner, tmp_path: Path) -> None:
    ok = runner.invoke(app, ["perf", "--demo-root", str(DEMOS), "--demos", "go", "--out-dir", str(tmp_path)])
    assert ok.exit_code == 0, ok.output
    report = json.loads((tmp_path / "cpu_perf_report.json").read_text())
    assert report["passed"] is True and report["results"][0]["demo"] == "go"
    assert report["results"][0]["analysis_seconds"] > 0
    over = runner.invoke(app, ["perf", "--demo-root", str(DEMOS), "--demos", "go", "--out-dir", str(tmp_path),
                               "--total-budget", "0"])
    assert over.exit_code == 1
    report = json.loads((tmp_path / "cpu_perf_report.json").read_text())
    assert report["passed"] is False and report["results"][0]["over_budget"] == ["total"]


def test_perf_without_demos_is_a_usage_error(runner: CliRunner, tmp_path: Path) -> None:
    assert runner.invoke(app, ["perf", "--demo-root", str(tmp_path)]).exit_code == 2


def test_bases_rejects_unknown_group(runner: CliRunner) -> None:
    result = runner.invoke(app, ["bases", "bootstrap", "--only", "cobol"])
    assert result.exit_code == 2


def test_bases_list_shows_env_map(runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CODI_BASES_DIR", str(tmp_path))
    monkeypatch.setenv("CODI_BASE_MAP", "golang:1.22=local/go:1")
    result = runner.invoke(app, ["bases", "list", "--json"])
    assert result.exit_code == 0
    assert json.loads(result.stdout)["bases"] == {"golang:1.22": "local/go:1"}


def test_run_rejects_malformed_build_args(runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CODI_TEST_UNSET_ARG", raising=False)
    bad = runner.invoke(app, ["run", str(DEMOS / "go"), "--dry-run", "--no-llm", "--build-arg", "1BAD=x"])
    assert bad.exit_code == 2 and "expected NAME=VALUE" in bad.output
    unset = runner.invoke(app, ["run", str(DEMOS / "go"), "--dry-run", "--no-llm", "--build-arg", "CODI_TEST_UNSET_ARG"])
    assert unset.exit_code == 2 and "not set in the environment" in unset.output


def test_run_records_build_arg_names_only(runner: CliRunner, tmp_path: Path) -> None:
    import json

    ok = runner.invoke(app, ["run", str(DEMOS / "go"), "--no-llm", "--disable-rag", "--out", str(tmp_path),
                             "--build-arg", "TOKEN=secret-value", "--json"])
    assert ok.exit_code == 0, ok.output
    assert "secret-value" not in ok.output
    run_json = next(tmp_path.glob("*/metadata/run.json")).read_text()
    assert json.loads(run_json)["options"]["build_args"] == ["TOKEN"] and "secret-value" not in run_json
