"""`codi metrics summarize`: training NDJSON (good and bad lines, rotations) and CODI run telemetry in one table."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from codi.training.metrics_summary import COLUMNS, render, summarize
from codi.training.telemetry import metric_row


def _ndjson(path: Path, rows: list[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(rows) + "\n")


@pytest.fixture()
def telemetry(tmp_path: Path) -> Path:
    good = [json.dumps(metric_row("t1", s, "train", "loss", v, "train", ts=float(s))) for s, v in
            [(1, 3.0), (2, 2.0), (3, 1.0)]]
    good.append(json.dumps(metric_row("t1", 3, "val", "loss", 1.5, "eval", ts=3.0)))
    bad = ["not json", '{"run_id": "t1"}', json.dumps({**metric_row("t1", 4, "train", "loss", 0, "train"),
                                                        "value": "high"}), "[1, 2]"]
    _ndjson(tmp_path / "train" / "metrics.ndjson", good + bad)
    _ndjson(tmp_path / "train" / "metrics.ndjson.1",
            [json.dumps(metric_row("t1", 0, "train", "loss", 4.0, "train", ts=0.0))])
    meta = tmp_path / "runs" / "20260101T000000Z-go-api" / "metadata"
    meta.mkdir(parents=True)
    (meta / "run.json").write_text(json.dumps({"run_id": "20260101T000000Z-go-api"}))
    (meta / "llm_metrics.json").write_text(json.dumps({
        "schema_version": 1, "mode": "llm", "calls": 2, "latency_ms": 1800, "acceptance": 0.5, "tie_margin": 5.0,
        "adapter_version": None, "model_id": "smol.gguf"}))
    (meta / "metrics.json").write_text(json.dumps({
        "schema_version": 1, "original": {"kind": "estimated", "size_bytes": 1000, "layers": 4},
        "candidates": [{"candidate_id": "001-fixed", "size_delta_pct": -10.0, "layers_delta": 0},
                       {"candidate_id": "002-x", "size_delta_pct": -30.0, "layers_delta": -1}]}))
    return tmp_path


def _group(summary_groups: list[dict[str, object]], run: str, split: str, name: str) -> dict[str, object]:
    return next(g for g in summary_groups if (g["run_id"], g["split"], g["name"]) == (run, split, name))


def test_groups_with_first_last_min_max_mean_and_bad_lines(telemetry: Path) -> None:
    summary = summarize(telemetry)
    assert summary.bad_lines == 4 and summary.files == 2 and summary.codi_runs == 1
    loss = _group(summary.groups, "t1", "train", "loss")
    assert loss == {"run_id": "t1", "split": "train", "phase": "train", "name": "loss", "count": 4, "first": 4.0,
                    "last": 1.0, "min": 1.0, "max": 4.0, "mean": 2.5}
    assert _group(summary.groups, "t1", "val", "loss")["phase"] == "eval"


def test_codi_run_telemetry_joins_the_table(telemetry: Path) -> None:
    groups = summarize(telemetry).groups
    run = "20260101T000000Z-go-api"
    assert _group(groups, run, "run", "llm.latency_ms")["last"] == 1800.0
    assert _group(groups, run, "run", "llm.acceptance")["mean"] == 0.5
    delta = _group(groups, run, "run", "candidate.size_delta_pct")
    assert (delta["count"], delta["min"], delta["first"]) == (2, -30.0, -10.0)
    assert _group(groups, run, "run", "candidates")["last"] == 2.0
    names = {g["name"] for g in groups if g["run_id"] == run}
    assert "llm.tie_margin" not in names and "llm.schema_version" not in names


def test_formats(telemetry: Path) -> None:
    summary = summarize(telemetry)
    rows = list(csv.DictReader(io.StringIO(render(summary, "csv"))))
    assert list(rows[0]) == list(COLUMNS) and len(rows) == len(summary.groups)
    data = json.loads(render(summary, "json"))
    assert data["bad_lines"] == 4 and data["groups"] == summary.groups
    table = render(summary, "table")
    assert table.splitlines()[0].split() == list(COLUMNS) and "4 bad line(s) skipped" in table


def test_cli_summarize(telemetry: Path) -> None:
    from codi.cli import data_cmds  # noqa: F401 - attaches the commands
    from codi.cli.app import app

    result = CliRunner().invoke(app, ["metrics", "summarize", "--input", str(telemetry), "--format", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["bad_lines"] == 4
    bad = CliRunner().invoke(app, ["metrics", "summarize", "--input", str(telemetry), "--format", "xml"])
    assert bad.exit_code == 2
