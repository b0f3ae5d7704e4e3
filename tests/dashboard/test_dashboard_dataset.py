"""The dashboard dataset and the `codi dashboard` command."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sample_runs import EVIL_NAME, SCAN_RULES, add_lint_and_scans, make_runs

from codi.dashboard.dataset import build_dataset, runs_listing
from codi.dashboard.page import render_page


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    return make_runs(tmp_path_factory.mktemp("dash"))


@pytest.fixture(scope="module")
def lint_root(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Path]]:
    """A runs folder with no run but real `codi lint` reports (python.sarif under <runs>/_lint; node.json and
    go.json outside, for --lint) and a scan database of three scans."""
    root = tmp_path_factory.mktemp("lintonly") / "runs"
    return root, add_lint_and_scans(root)


def test_dataset_fields(runs: tuple[Path, list[str]]) -> None:
    root, ids = runs
    data = build_dataset(root)
    assert data["run_count"] == 3 and {r["run_id"] for r in data["runs"]} == set(ids)
    assert data["schema_version"] == 2
    assert {"generated_at", "runs_root", "runs", "stacks", "skipped", "projects", "lint", "scans", "rules"} <= set(data)
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
    assert "3 run(s), 0 lint report(s), 0 scan(s), 2 skipped" in r.stdout and "skipped" in r.stderr
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


def test_dataset_is_redacted_even_for_a_no_redact_run(tmp_path: Path) -> None:
    root, ids = make_runs(tmp_path / "plain")
    explain = root / ids[0] / "metadata" / "explain.json"  # as a --no-redact run where the model quoted the file
    data = json.loads(explain.read_text()) if explain.is_file() else {"schema_version": 1}
    data["summary"] = "Keeps ENV PGPASSWORD=dashPlanted-0042 and the GPG key id key='B97B0AFCAA1A47F044F244A07FCC7D46'"
    explain.write_text(json.dumps(data))
    text = json.dumps(build_dataset(root))
    assert "dashPlanted-0042" not in text and "PGPASSWORD=***REDACTED***" in text
    assert "key='B97B0AFCAA1A47F044F244A07FCC7D46'" in text


def test_lint_reports_and_scans_are_in_the_dataset(lint_root: tuple[Path, list[Path]]) -> None:
    root, given = lint_root
    data = build_dataset(root, lint_files=given)
    lint = data["lint"]
    assert [(r["source"], r["format"]) for r in lint] == [("go.json", "json"), ("node.json", "json"),
                                                          ("python.sarif", "sarif")]  # newest first
    assert [r["recorded_at"] for r in lint] == ["2026-12-04T00:00:00Z", "2026-12-03T00:00:00Z", "2026-12-02T00:00:00Z"]
    for report in lint:
        assert report["findings"] > 0 and sum(report["by_rule"].values()) == report["findings"]
        assert report["files_with_findings"] == 1
    assert lint[0]["by_rule"]["CD107"] == 1  # golang as the final image
    assert [s["scan_id"] for s in data["scans"]] == [scan_id for scan_id, _, _ in reversed(SCAN_RULES)]
    for scan, (_, started, by_rule) in zip(data["scans"], reversed(SCAN_RULES), strict=True):
        assert (scan["started_at"], scan["by_rule"], scan["findings"]) == (started, by_rule, sum(by_rule.values()))
        assert (scan["repos"], scan["failed"], scan["status"]) == (2, 1, "partial")
    rules = data["rules"]
    assert rules["DL3008"] == {"name": "apt-get-pin-versions", "level": "warning"}
    assert rules["CD107"]["name"] == "toolchain-final-image" and rules["SC2086"]["name"] == "ShellCheck"
    assert set(rules) == {c for src in (*lint, *data["scans"]) for c in src["by_rule"]}
    assert data["skipped"] == [] and data["run_count"] == 0


def test_scan_database_is_only_read(lint_root: tuple[Path, list[Path]], tmp_path: Path) -> None:
    import shutil
    import sqlite3

    root = tmp_path / "runs"
    shutil.copytree(lint_root[0] / "_fleet", root / "_fleet")

    def snapshot() -> dict[str, bytes]:
        return {p.name: p.read_bytes() for p in (root / "_fleet").iterdir()}

    def set_versions(sql: str) -> None:
        conn = sqlite3.connect(root / "_fleet" / "fleet.db")
        conn.execute(sql)
        conn.commit()
        conn.close()

    set_versions("DELETE FROM migrations WHERE version = 4")  # as an older CODI left it: v4 would migrate
    before = snapshot()
    assert len(build_dataset(root)["scans"]) == 3
    after = snapshot()
    assert after["fleet.db"] == before["fleet.db"]  # no migration, nothing written
    # A reader of a WAL database may leave SQLite's shared-memory index and an empty log; nothing else.
    assert set(after) <= {"fleet.db", "fleet.db-shm", "fleet.db-wal"} and not after.get("fleet.db-wal")
    set_versions("INSERT INTO migrations (version, applied_at) VALUES (99, 'later')")
    data = build_dataset(root)
    assert data["scans"] == []
    assert any("fleet.db" in s["path"] and "newer than this CODI" in s["reason"] for s in data["skipped"])


def test_unreadable_lint_reports_are_skipped_with_a_reason(tmp_path: Path) -> None:
    root = tmp_path / "runs"
    (root / "_lint").mkdir(parents=True)
    (root / "_lint" / "broken.json").write_text("{not json")
    (root / "_lint" / "numbers.json").write_text("[1, 2]")
    (root / "_lint" / "other.json").write_text('{"hello": 1}')
    outside = tmp_path / "secret.sarif"
    outside.write_text('{"runs": []}')
    (root / "_lint" / "link.sarif").symlink_to(outside)  # a link out of the folder is not followed
    data = build_dataset(root)
    reasons = {Path(s["path"]).name: s["reason"] for s in data["skipped"]}
    assert reasons["broken.json"].startswith("lint report: not JSON")
    assert "not findings" in reasons["numbers.json"]
    assert "neither" in reasons["other.json"]
    assert "link.sarif" not in reasons and data["lint"] == []
    assert runs_listing(root) == {"runs": [], "skipped": []}  # GET /runs lists runs only


def test_cli_reads_lint_files(lint_root: tuple[Path, list[Path]], tmp_path: Path) -> None:
    root, given = lint_root
    out = tmp_path / "data.json"
    args = [sys.executable, "-m", "codi", "dashboard", "--runs", str(root), "--export-json", str(out)]
    r = subprocess.run([*args, *(a for f in given for a in ("--lint", str(f)))],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "0 run(s), 3 lint report(s), 3 scan(s), 0 skipped" in r.stdout
    assert len(json.loads(out.read_text())["lint"]) == 3
    missing = subprocess.run([*args, "--lint", str(tmp_path / "nope.sarif")], capture_output=True, text=True, timeout=120)
    assert missing.returncode == 2 and "nope.sarif: no such file" in missing.stderr


def _set_numbers(run_dir: Path, original_kind: str, best_kind: str, delta: int | None) -> None:
    path = run_dir / "metadata" / "metrics.json"
    metrics = json.loads(path.read_text())
    best = json.loads((run_dir / "metadata" / "run.json").read_text())["recommendation"]["candidate_id"]
    metrics["original"]["kind"] = original_kind
    for cand in metrics["candidates"]:
        if cand["candidate_id"] == best:
            cand["kind"], cand["size_delta_bytes"] = best_kind, delta
            cand["size_delta_pct"] = None if delta is None else -50.0
    path.write_text(json.dumps(metrics))


def test_size_saved_per_project_says_estimated_or_measured(runs: tuple[Path, list[str]], tmp_path: Path) -> None:
    import shutil

    root = tmp_path / "runs"
    shutil.copytree(runs[0], root)
    ids = {r["project_name"]: r["run_id"] for r in build_dataset(root)["runs"]}
    _set_numbers(root / ids["pyproj"], "measured", "measured", -40_000_000)  # both built: measured
    _set_numbers(root / ids["nodeproj"], "estimated", "measured", None)  # mixed kinds: no saving given
    projects = {p["project_name"]: p for p in build_dataset(root)["projects"]}
    assert set(projects) == {"pyproj", "nodeproj", EVIL_NAME}
    assert (projects["pyproj"]["kind"], projects["pyproj"]["saved_bytes"], projects["pyproj"]["saved_pct"]) == \
        ("measured", 40_000_000, 50.0)
    assert (projects["nodeproj"]["kind"], projects["nodeproj"]["saved_bytes"]) == (None, None)
    evil = projects[EVIL_NAME]
    assert evil["kind"] == "estimated" and evil["saved_bytes"] is not None
    assert evil["original_size"] > 0 and evil["run_id"] == ids[EVIL_NAME]


def test_served_dashboard_shows_lint_and_scans_without_server_paths(lint_root: tuple[Path, list[Path]],
                                                                    tmp_path: Path) -> None:
    import re

    from fastapi.testclient import TestClient

    from codi.api.app import create_app
    from codi.api.settings import ApiSettings

    root, _ = lint_root
    settings = ApiSettings(keys=["dash-key"], allowed_roots=[tmp_path], runs_root=root)
    with TestClient(create_app(settings)) as client:
        page = client.get("/dashboard", headers={"X-API-Key": "dash-key"})
    assert page.status_code == 200
    embedded = re.search(r'<script type="application/json" id="codi-data">(.*?)</script>', page.text, re.S)
    assert embedded is not None
    data = json.loads(embedded.group(1))
    assert [(r["source"], r["path"]) for r in data["lint"]] == [("python.sarif", "python.sarif")]
    assert len(data["scans"]) == 3 and str(root) not in page.text


def test_hadolint_json_is_read_and_named_by_codi(tmp_path: Path) -> None:
    report = tmp_path / "hadolint.json"  # hadolint -f json: no rule names
    report.write_text(json.dumps([
        {"code": "DL3008", "column": 1, "file": "Dockerfile", "level": "warning", "line": 3, "message": "Pin versions"},
        {"code": "DL3008", "column": 1, "file": "api/Dockerfile", "level": "warning", "line": 5, "message": "Pin"},
        {"code": "SC2086", "column": 1, "file": "Dockerfile", "level": "info", "line": 7, "message": "Quote"},
    ]))
    data = build_dataset(tmp_path / "runs", lint_files=[report])
    (summary,) = data["lint"]
    assert (summary["findings"], summary["files_with_findings"], summary["by_rule"]) == (3, 2, {"DL3008": 2, "SC2086": 1})
    assert summary["by_level"] == {"info": 1, "warning": 2}
    assert data["rules"]["DL3008"]["name"] == "apt-get-pin-versions"
