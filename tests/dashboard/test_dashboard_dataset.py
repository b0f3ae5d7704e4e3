"""The dashboard dataset and the `codi dashboard` command."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sample_runs import EVIL_NAME, make_runs

from codi.dashboard.dataset import build_dataset
from codi.dashboard.page import render_page


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    return make_runs(tmp_path_factory.mktemp("dash"))


def test_dataset_fields(runs: tuple[Path, list[str]]) -> None:
    root, ids = runs
    data = build_dataset(root)
    assert data["run_count"] == 3 and {r["run_id"] for r in data["runs"]} == set(ids)
    assert {"generated_at", "runs_root", "runs", "stacks", "skipped"} <= set(data)
    row = next(r for r in data["runs"] if r["project_name"] == "pyproj")
    assert row["stack"] == "python"
    assert set(row["original"]) == {"size", "layers", "build_seconds", "kind"}
    assert row["original"]["kind"] == "estimated" and row["original"]["size"] > 0
    assert row["candidate_count"] >= 1 and row["best_candidate"]["size_delta_bytes"] is not None
    assert {"run_dir", "report_html", "report_md"} <= set(row["paths"]) and row["tags"]
    stacks = {s["stack"]: s for s in data["stacks"]}
    assert stacks["python"]["run_count"] == 2 and stacks["node"]["run_count"] == 1


def test_broken_run_dirs_are_listed_with_a_reason(runs: tuple[Path, list[str]]) -> None:
    skipped = {Path(s["path"]).name: s["reason"] for s in build_dataset(runs[0])["skipped"]}
    assert "run.json" in skipped["20260101T000000Z-python-broken"]
    assert skipped["notes"] == "name is not a run id"


def test_paths_relative_to(runs: tuple[Path, list[str]]) -> None:
    root, _ = runs
    data = build_dataset(root, relative_to=root.parent)
    assert data["runs_root"] == "runs"
    for row in data["runs"]:
        assert row["paths"]["run_dir"] == f"runs/{row['run_id']}"
        assert row["paths"]["report_html"] == f"runs/{row['run_id']}/reports/report.html"


def test_page_embeds_data_that_cannot_break_out(runs: tuple[Path, list[str]]) -> None:
    page = render_page(build_dataset(runs[0]))
    assert "<script>window.__codi_pwned" not in page and EVIL_NAME not in page
    assert "\\u003cimg src=x onerror=alert(1)\\u003e" in page
    assert "http://" not in page.replace("http://www.w3.org/2000/svg", "")  # no CDN, no network


def test_cli_writes_json_and_html(runs: tuple[Path, list[str]], tmp_path: Path) -> None:
    root, ids = runs
    out_json, out_html = tmp_path / "data" / "runs.json", tmp_path / "site" / "index.html"
    r = subprocess.run([sys.executable, "-m", "codi", "dashboard", "--runs", str(root), "--export-json", str(out_json),
                        "--relative-to", str(root.parent), "--html", str(out_html)],
                       capture_output=True, text=True, timeout=120, env={**os.environ})
    assert r.returncode == 0, r.stderr
    assert "3 run(s), 2 skipped" in r.stdout and "skipped" in r.stderr
    data = json.loads(out_json.read_text())
    assert data["run_count"] == 3 and data["runs"][0]["paths"]["run_dir"].startswith("runs/")
    assert ids[0] in out_html.read_text()
    missing = subprocess.run([sys.executable, "-m", "codi", "dashboard", "--runs", str(tmp_path / "none"),
                              "--export-json", str(out_json)], capture_output=True, text=True, timeout=120)
    assert missing.returncode == 2 and "no such runs folder" in missing.stderr


def test_runs_carry_their_slowest_stages_from_the_traces(tmp_path: Path) -> None:
    from codi.service.run import RunOptions, run_project

    result = run_project(Path(__file__).resolve().parents[2] / "demo" / "go",
                         RunOptions(llm=False, rag=False, out=tmp_path))
    data = build_dataset(tmp_path)
    row = next(r for r in data["runs"] if r["run_id"] == result.run_id)
    stages = row["slowest_stages"]
    assert stages and {"stage", "total_ms", "max_ms", "count"} <= set(stages[0])
    assert [s["total_ms"] for s in stages] == sorted((s["total_ms"] for s in stages), reverse=True)


def test_fleet_scans_are_listed(tmp_path: Path) -> None:
    from codi.fleet.db import open_db
    from codi.fleet.db_protocol import RepoRow, ScanRow

    db = open_db(None, tmp_path / "_fleet" / "fleet.db")
    db.start_scan(ScanRow("scan-1", "2026-11-30T04:00:00Z", "running", "repos.txt", repos=2))
    db.start_part("scan-1", "all", "here", 2)
    db.put_repo("scan-1", RepoRow("a", 0, "/a", "ok", "k1", 3))
    db.put_repo("scan-1", RepoRow("b", 1, "/b", "failed", None, None, "clone failed"))
    assert db.finish_part("scan-1", "all", "partial") == "partial"
    (scan,) = build_dataset(tmp_path)["scans"]
    assert (scan["scan_id"], scan["status"], scan["repos"], scan["failed"], scan["findings"]) == \
        ("scan-1", "partial", 2, 1, 3)
    assert 'id="scans-section"' in render_page(build_dataset(tmp_path))


def test_dataset_is_redacted_even_for_a_no_redact_run(tmp_path: Path) -> None:
    root, ids = make_runs(tmp_path / "plain")
    explain = root / ids[0] / "metadata" / "explain.json"  # as a --no-redact run where the model quoted the file
    data = json.loads(explain.read_text()) if explain.is_file() else {"schema_version": 1}
    data["summary"] = "Keeps ENV PGPASSWORD=dashPlanted-0042 and the GPG key id key='B97B0AFCAA1A47F044F244A07FCC7D46'"
    explain.write_text(json.dumps(data))
    text = json.dumps(build_dataset(root))
    assert "dashPlanted-0042" not in text and "PGPASSWORD=***REDACTED***" in text
    assert "key='B97B0AFCAA1A47F044F244A07FCC7D46'" in text
