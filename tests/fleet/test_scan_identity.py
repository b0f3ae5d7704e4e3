"""A repository is its normalised source: same-named folders stay apart, repeats are scanned once,
inline comments work (the manifest example of docs/fleet.md), and older scan databases migrate."""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

import codi.cli.scan_cmds  # noqa: F401  (attaches `scan`)
from codi.cli.app import app
from codi.fleet.db_protocol import MIGRATIONS, RepoRow, ScanRow, now
from codi.fleet.db_sqlite import SQLiteDB
from codi.fleet.manifest import parse_manifest, plan
from codi.fleet.scan import ScanInterrupted, ScanOptions, run_scan

FLEET_DOC = Path(__file__).resolve().parents[2] / "docs" / "fleet.md"


@pytest.fixture
def teams(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """teamA/app and teamB/app (different Dockerfiles) and teamC/app, which is missing (it fails)."""
    monkeypatch.setenv("CODI_CACHE_DIR", str(tmp_path / "sc-cache"))
    for name in ("CODI_SELECT", "CODI_IGNORE", "CODI_EXTEND_SELECT", "CODI_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    for team, text in (("teamA", "FROM debian\nRUN apt-get update\n"), ("teamB", "FROM alpine:3.20\n")):
        (tmp_path / team / "app").mkdir(parents=True)
        (tmp_path / team / "app" / "Dockerfile").write_text(text, encoding="utf-8")
    manifest = tmp_path / "repos.txt"
    manifest.write_text("teamA/app    # the shop\nteamB/app\t# billing\nteamC/app\n", encoding="utf-8")
    return manifest


def _options(manifest: Path, out: Path, **kw: object) -> ScanOptions:
    return ScanOptions(manifest=str(manifest), out=out, backoff_s=0.0, jobs=1, **kw)  # type: ignore[arg-type]


def test_same_named_folders_are_two_rows_and_a_failure_is_kept(teams: Path, tmp_path: Path) -> None:
    outcome = run_scan(_options(teams, tmp_path / "out"))
    assert [(r.name, r.status) for r in outcome.repos] == [
        ("teamA/app", "ok"), ("teamB/app", "ok"), ("teamC/app", "failed")]
    assert outcome.repos[0].findings != outcome.repos[1].findings
    db = SQLiteDB(tmp_path / "out" / "_fleet" / "fleet.db")
    try:
        rows = db.repos(outcome.scan_id)
    finally:
        db.close()
    assert [(r.name, r.source) for r in rows] == [(f"team{t}/app", str(tmp_path / f"team{t}" / "app")) for t in "ABC"]
    report = Path(outcome.reports["md"]).read_text(encoding="utf-8")
    assert "teamA/app" in report and "teamB/app" in report and "teamC/app" in report


def test_a_repeated_entry_is_scanned_once_with_a_note(teams: Path, tmp_path: Path) -> None:
    teams.write_text(teams.read_text(encoding="utf-8") + "./teamA/app/\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["scan", "--manifest", str(teams), "--out", str(tmp_path / "out"), "--json",
                                      "--jobs", "1"])
    assert result.exit_code == 1  # teamC/app failed
    data = json.loads(result.stdout)
    assert [r["name"] for r in data["repos"]] == ["teamA/app", "teamB/app", "teamC/app"]
    assert data["notes"] == [f"{teams}:4: the same repository as {teams}:1 ({tmp_path / 'teamA' / 'app'}): "
                             "scanned once"]
    assert f"codi: note: {data['notes'][0]}" in result.stderr


def test_resume_keeps_same_named_repositories_apart(teams: Path, tmp_path: Path) -> None:
    with pytest.raises(ScanInterrupted):
        run_scan(_options(teams, tmp_path / "out", stop_after=1))
    db = SQLiteDB(tmp_path / "out" / "_fleet" / "fleet.db")
    scan_id = db.scans()[0].scan_id
    db.close()
    resumed = run_scan(_options(teams, tmp_path / "out", resume=scan_id))
    assert [(r.name, r.status) for r in resumed.repos] == [
        ("teamA/app", "ok"), ("teamB/app", "ok"), ("teamC/app", "failed")]


def test_names_urls_refs_and_inline_comments(tmp_path: Path) -> None:
    text = ("a/app  # one\nb/app\n"
            "https://git.example/x/svc.git  # cloned\nhttps://GIT.example/x/svc/\n"
            "https://git.example/y/svc.git\ndir#1/tool\n")
    specs, notes = plan(parse_manifest(text, tmp_path, "m.txt"))
    assert [(s.name, s.key) for s in specs] == [
        ("a/app", str(tmp_path / "a" / "app")), ("b/app", str(tmp_path / "b" / "app")),
        ("x/svc", "https://git.example/x/svc"), ("y/svc", "https://git.example/y/svc"),
        ("tool", str(tmp_path / "dir#1" / "tool"))]
    assert notes == ["m.txt:4: the same repository as m.txt:3 (https://git.example/x/svc): scanned once"]
    js = parse_manifest('[{"name": "api", "url": "file:///r.git", "ref": "v1"},'
                        ' {"name": "api", "url": "file:///r.git", "ref": "v2"}]', tmp_path, "m.json")
    assert [s.name for s in plan(js)[0]] == ["api (r)@v1", "api (r)@v2"]


def test_the_readme_manifest_example_parses(tmp_path: Path) -> None:
    block = re.search(r"cat > repos.txt <<'TXT'\n(.*?)\nTXT\n", FLEET_DOC.read_text(encoding="utf-8"), re.S)
    assert block is not None
    specs, notes = plan(parse_manifest(block.group(1), tmp_path, "repos.txt"))
    assert [(s.name, s.path, s.url) for s in specs] == [
        ("api", str(tmp_path / "services" / "api"), None),
        ("shop", None, "https://github.com/example/shop.git")] and notes == []


def test_a_version_3_database_migrates_to_source_keys(tmp_path: Path) -> None:
    path = tmp_path / "fleet.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)")
    for version, statements in enumerate(MIGRATIONS[:3], start=1):
        for statement in statements:
            conn.execute(statement)
        conn.execute("INSERT INTO migrations VALUES (?, ?)", (version, now()))
    conn.execute("INSERT INTO scans VALUES ('s1', ?, NULL, 'complete', 'm.txt', NULL, 1, 'x')", (now(),))
    conn.execute("INSERT INTO repo_results VALUES ('s1', 'app', 0, '/teamA/app', 'ok', 'k1', 3, NULL, ?)", (now(),))
    conn.commit()
    conn.close()
    db = SQLiteDB(path)
    try:
        assert db.ensure_schema() == []
        assert [(r.name, r.source, r.findings) for r in db.repos("s1")] == [("app", "/teamA/app", 3)]
        db.start_scan(ScanRow("s2", now(), "running", "m.txt", None, 2, extra={"codi_version": "x"}))
        db.put_repo("s2", RepoRow("teamA/app", 0, "/teamA/app", "ok", "k1", 3))
        db.put_repo("s2", RepoRow("teamB/app", 1, "/teamB/app", "failed", error="boom"))
        assert [(r.name, r.status) for r in db.repos("s2")] == [("teamA/app", "ok"), ("teamB/app", "failed")]
    finally:
        db.close()


def test_a_version_3_postgres_database_migrates_to_source_keys(pg_url: str) -> None:
    import psycopg

    from codi.fleet.db import open_db
    from codi.pgschema import migrate

    with psycopg.connect(pg_url, autocommit=True) as conn, conn.transaction():
        migrate(conn, "migrations", 1, MIGRATIONS[:3], RuntimeError, text_stamps=True)
        conn.execute("INSERT INTO scans VALUES ('s1', %s, NULL, 'complete', 'm.txt', NULL, 1, 'x')", (now(),))
        conn.execute("INSERT INTO repo_results VALUES ('s1', 'app', 0, '/teamA/app', 'ok', 'k1', 3, NULL, %s)",
                     (now(),))
    db = open_db(pg_url, Path("/unused"))
    try:
        assert [(r.name, r.source, r.findings) for r in db.repos("s1")] == [("app", "/teamA/app", 3)]
        db.put_repo("s1", RepoRow("teamB/app", 1, "/teamB/app", "failed", error="boom"))
        db.put_repo("s1", RepoRow("teamA/app", 0, "/teamA/app", "ok", "k1", 4))  # an upsert by source
        assert [(r.name, r.status, r.findings) for r in db.repos("s1")] == [
            ("teamA/app", "ok", 4), ("teamB/app", "failed", None)]
    finally:
        db.close()
