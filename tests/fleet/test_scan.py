"""`codi scan`: cold then warm, a broken repository, resume, --jobs 1 vs 2, the CLI's JSON."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import codi.cli.scan_cmds  # noqa: F401  (attaches `scan`)
from codi.cli.app import app
from codi.fleet import engine as fleet_engine
from codi.fleet.db_sqlite import SQLiteDB
from codi.fleet.scan import ScanInterrupted, ScanOptions, run_scan
from codi.service import lint_jobs
from codi.service.lint import LintRequest, run_lint


@pytest.fixture
def lint_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Keys linted in this process (the --jobs 1 engine lints here)."""
    calls: list[str] = []
    real = fleet_engine.lint_repo

    def counted(task: fleet_engine.LintTask) -> fleet_engine.LintSummary:
        calls.append(task.key)
        return real(task)

    monkeypatch.setattr(fleet_engine, "lint_repo", counted)
    return calls


def _options(manifest: Path, out: Path, **kw: Any) -> ScanOptions:
    return ScanOptions(manifest=str(manifest), out=out, backoff_s=0.0, **kw)


def test_cold_then_warm(fleet: Path, tmp_path: Path, lint_calls: list[str]) -> None:
    cold = run_scan(_options(fleet, tmp_path / "out"))
    assert cold.status == "complete" and cold.exit_code == 0 and len(cold.repos) == 30
    distinct = {r.key for r in cold.repos}
    assert sorted(lint_calls) == sorted(distinct) and cold.linted == len(distinct)  # identical content once
    assert {r.status for r in cold.repos} <= {"ok", "cached"}
    lint_calls.clear()
    warm = run_scan(_options(fleet, tmp_path / "out"))
    assert lint_calls == [] and warm.linted == 0
    assert [r.status for r in warm.repos] == ["cached"] * 30
    assert [(r.name, r.key, r.findings) for r in warm.repos] == [(r.name, r.key, r.findings) for r in cold.repos]
    assert warm.scan_id != cold.scan_id
    md = Path(warm.reports["md"]).read_text(encoding="utf-8")
    assert "## Per stack" in md and "## Per rule" in md and cold.scan_id in md  # trends list both scans


def test_findings_are_what_codi_lint_reports(fleet: Path, tmp_path: Path) -> None:
    outcome = run_scan(_options(fleet, tmp_path / "out"))
    folders = {p.name: p for p in (tmp_path / "src").iterdir()}
    for repo in outcome.repos[:12]:
        expected = run_lint(LintRequest(paths=[str(folders[repo.name])])).result.findings
        assert repo.findings == len(expected), repo.name


def test_broken_repositories_make_a_partial_scan(fleet: Path, tmp_path: Path) -> None:
    text = fleet.read_text(encoding="utf-8")
    fleet.write_text(text + f"{tmp_path / 'gone'}\n{(tmp_path / 'nowhere.git').as_uri()}\n", encoding="utf-8")
    waits: list[float] = []
    outcome = run_scan(ScanOptions(manifest=str(fleet), out=tmp_path / "out", backoff_s=0.25), sleep=waits.append)
    assert outcome.status == "partial" and outcome.exit_code == 1
    failed = {r.name: r.error for r in outcome.repos if r.status == "failed"}
    assert set(failed) == {"gone", "nowhere"}
    assert "no such folder" in (failed["gone"] or "") and "git clone failed" in (failed["nowhere"] or "")
    assert waits == [0.25, 0.5]  # the clone was retried with back-off; the missing folder was not
    assert sum(r.status != "failed" for r in outcome.repos) == 30


def test_a_store_write_that_fails_once_is_retried(fleet: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from codi.store import LocalStore

    real, failures = LocalStore.put, []

    def flaky(self: LocalStore, key: str, data: bytes, *, once: bool = False) -> None:
        if key.startswith("results/") and key not in failures:
            failures.append(key)  # every result's first write fails, as a network mount might
            raise OSError(5, "Input/output error")
        real(self, key, data, once=once)

    monkeypatch.setattr(LocalStore, "put", flaky)
    monkeypatch.setattr(fleet_engine, "STORE_BACKOFF_S", 0.0)
    outcome = run_scan(_options(fleet, tmp_path / "out"))
    assert outcome.status == "complete" and failures
    assert all((tmp_path / "out" / "_fleet" / "store" / key).is_file() for key in failures)


def test_unparsable_dockerfile_is_a_finding(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CODI_CACHE_DIR", str(tmp_path / "sc"))
    repo = tmp_path / "bad"
    repo.mkdir()
    (repo / "Dockerfile").write_text("FROM alpine\nRUN <<EOF\necho never closed\n", encoding="utf-8")
    (tmp_path / "m.txt").write_text("bad\n", encoding="utf-8")
    outcome = run_scan(_options(tmp_path / "m.txt", tmp_path / "out"))
    assert outcome.status == "complete" and outcome.repos[0].status == "ok"
    assert (outcome.repos[0].findings or 0) >= 1


def test_resume_after_an_interrupted_scan(fleet: Path, tmp_path: Path, lint_calls: list[str]) -> None:
    with pytest.raises(ScanInterrupted):
        run_scan(_options(fleet, tmp_path / "out", stop_after=10))
    db = SQLiteDB(tmp_path / "out" / "_fleet" / "fleet.db")
    scan = db.scans()[0]
    finished = db.repos(scan.scan_id)
    assert scan.status == "running" and len(finished) == 10
    db.close()
    assert len(lint_calls) == len({r.key for r in finished})  # one repository at a time with --jobs 1
    lint_calls.clear()
    resumed = run_scan(_options(fleet, tmp_path / "out", resume=scan.scan_id))
    assert resumed.scan_id == scan.scan_id and resumed.status == "complete" and len(resumed.repos) == 30
    assert not {r.key for r in finished} & set(lint_calls)  # finished work is not linted again
    assert len(lint_calls) == len({r.key for r in resumed.repos} - {r.key for r in finished})
    assert [r.name for r in resumed.repos] == [f"repo{n:02d}" for n in range(30)]


def _comparable(outcome: Any) -> list[tuple[str, str, str | None, int | None]]:
    return [(r.name, r.status, r.key, r.findings) for r in outcome.repos]


def test_jobs_1_and_2_agree(fleet: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lint_jobs, "MIN_BATCH_WEIGHT", 5_000)  # several batches for two workers
    one = run_scan(_options(fleet, tmp_path / "one", jobs=1))
    two = run_scan(_options(fleet, tmp_path / "two", jobs=2, clone_jobs=3))
    assert _comparable(one) == _comparable(two) and one.status == two.status == "complete"
    assert two.linted == one.linted
    results = sorted((tmp_path / "one" / "_fleet" / "store" / "results").rglob("*.json"))
    assert len(results) == one.linted
    for path in results:
        other = tmp_path / "two" / path.relative_to(tmp_path / "one")
        assert json.loads(path.read_bytes()) == json.loads(other.read_bytes())


def test_clones_are_shallow(fleet: Path, tmp_path: Path) -> None:
    run_scan(_options(fleet, tmp_path / "out"))
    clones = [p for p in (tmp_path / "out" / "_fleet" / "clones").iterdir() if not p.name.startswith(".")]
    assert len(clones) == 5
    for clone in clones:
        count = subprocess.run(["git", "rev-list", "--count", "HEAD"], cwd=clone, capture_output=True, text=True,
                               check=True).stdout.strip()
        assert count == "1"


def test_shards_cover_the_manifest_once(fleet: Path, tmp_path: Path) -> None:
    db = tmp_path / "shared.db"
    names: list[str] = []
    for index in range(3):
        outcome = run_scan(_options(fleet, tmp_path / "out", shard=(index, 3), db_url=f"sqlite:///{db}"))
        names += [r.name for r in outcome.repos]
    assert sorted(names) == [f"repo{n:02d}" for n in range(30)]


def test_shards_join_one_named_scan_whose_status_merges_theirs(fleet: Path, tmp_path: Path) -> None:
    """`--scan-id` is created by the first shard and joined by the others; the scan is complete only
    when every shard is, and its report covers every repository."""
    db_url = f"sqlite:///{tmp_path / 'shared.db'}"
    first = run_scan(_options(fleet, tmp_path / "out", shard=(0, 2), db_url=db_url, scan_id="nightly-1"))
    assert first.scan_id == "nightly-1" and first.status == "complete" and first.exit_code == 0
    assert first.merged == "partial"  # shard 1/2 has not run: half the repositories are missing
    second = run_scan(_options(fleet, tmp_path / "out", shard=(1, 2), db_url=db_url, scan_id="nightly-1"))
    assert second.status == "complete" and second.merged == "complete"
    db = SQLiteDB(tmp_path / "shared.db")
    try:
        scan = db.scan("nightly-1")
        assert scan is not None and scan.status == "complete" and scan.repos == 30
        assert len(db.repos("nightly-1")) == 30 and [s.scan_id for s in db.scans()] == ["nightly-1"]
    finally:
        db.close()
    md = Path(second.reports["md"]).read_text(encoding="utf-8")
    assert "nightly-1" in md and "30" in md


def test_a_named_scan_stays_running_while_a_shard_runs(fleet: Path, tmp_path: Path) -> None:
    db_url = f"sqlite:///{tmp_path / 'shared.db'}"
    with pytest.raises(ScanInterrupted):  # shard 0/2's driver dies after 3 repositories
        run_scan(_options(fleet, tmp_path / "out", shard=(0, 2), db_url=db_url, scan_id="s", stop_after=3))
    other = run_scan(_options(fleet, tmp_path / "out", shard=(1, 2), db_url=db_url, scan_id="s"))
    assert other.status == "complete" and other.merged == "running"  # 0/2 is still recorded running
    again = run_scan(_options(fleet, tmp_path / "out", shard=(0, 2), db_url=db_url, scan_id="s"))
    assert again.merged == "complete"  # the retried shard finishes the scan


def test_progress_is_reported_as_repositories_are_recorded(fleet: Path, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[tuple[int, int, dict[str, int]]] = []
    run_scan(_options(fleet, tmp_path / "out", progress=lambda d, t, c: seen.append((d, t, c))))
    assert [d for d, _, _ in seen] == list(range(1, 31)) and {t for _, t, _ in seen} == {30}
    assert sum(seen[-1][2].values()) == 30 and set(seen[-1][2]) <= {"ok", "cached"}

    monkeypatch.setattr(codi.cli.scan_cmds, "PROGRESS_EVERY_S", 0.0)  # no terminal: a line each time, here
    result = CliRunner().invoke(app, ["scan", "--manifest", str(fleet), "--out", str(tmp_path / "cli"), "-j", "1"])
    assert result.exit_code == 0, result.output
    lines = [line for line in result.stderr.splitlines() if line.startswith("codi: scanned ")]
    assert lines[0].startswith("codi: scanned 1/30 repositories (") and len(lines) == 29  # not the last one
    assert lines[-1].startswith("codi: scanned 29/30 repositories (")


def test_cli_json_and_exit_codes(fleet: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "out"
    result = runner.invoke(app, ["scan", "--manifest", str(fleet), "--out", str(out), "--json", "--jobs", "1"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert set(data) == {"scan_id", "status", "scan_status", "repos", "notes"} and data["status"] == "complete"
    assert data["scan_status"] == "complete"
    assert set(data["repos"][0]) == {"name", "status", "key", "findings", "error"}
    fleet.write_text(fleet.read_text(encoding="utf-8") + "/no/such/repo\n", encoding="utf-8")
    result = runner.invoke(app, ["scan", "--manifest", str(fleet), "--out", str(out), "--json", "-j", "1"])
    assert result.exit_code == 1
    assert json.loads(result.stdout)["status"] == "partial"
    bad = runner.invoke(app, ["scan", "--manifest", str(fleet), "--out", str(out), "--resume", "nope"])
    assert bad.exit_code == 2 and "no such scan" in bad.stderr
    bad = runner.invoke(app, ["scan", "--manifest", str(fleet), "--out", str(out), "--scan-id", "../x"])
    assert bad.exit_code == 2 and "--scan-id '../x': expected" in bad.stderr
    html = next((out / "_fleet" / "store" / "reports").rglob("fleet.html")).read_text(encoding="utf-8")
    assert "<h2>Per rule</h2>" in html
