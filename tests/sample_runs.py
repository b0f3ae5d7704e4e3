"""Real runs for the dashboard and browser tests: demo projects, an injection attempt, broken folders."""

from __future__ import annotations

import shutil
from pathlib import Path

from codi.service.run import RunOptions, run_project

REPO = Path(__file__).resolve().parents[1]
EVIL_NAME = "evil<img src=x onerror=alert(1)>"
EVIL_DOCKERFILE = (
    "FROM python:3.12-slim\n"
    "MAINTAINER someone\n"  # fixable, so the fixed candidate's diff quotes the LABEL below
    'LABEL description="<script>window.__codi_pwned = 1</script>"\n'
    "COPY . /app\n"
    'CMD ["python", "/app/main.py"]\n'
)


def make_runs(base: Path) -> tuple[Path, list[str]]:
    """(runs root, run ids) with a python, a node and an injection-attempt run, plus broken folders."""
    projects = base / "projects"
    shutil.copytree(REPO / "demo" / "python", projects / "pyproj")
    shutil.copytree(REPO / "demo" / "node", projects / "nodeproj")
    evil = projects / EVIL_NAME
    evil.mkdir(parents=True)
    (evil / "Dockerfile").write_text(EVIL_DOCKERFILE)
    (evil / "requirements.txt").write_text("flask==3.0.0\n")
    (evil / "main.py").write_text("print('hi')\n")
    runs = base / "runs"
    ids = [run_project(projects / name, RunOptions(out=runs, llm=False, rag=False, candidate_limit=2)).run_id
           for name in ("pyproj", "nodeproj", EVIL_NAME)]
    broken = runs / "20260101T000000Z-python-broken"
    (broken / "metadata").mkdir(parents=True)
    (broken / "metadata" / "run.json").write_text("{not json")
    (runs / "notes").mkdir()
    return runs, ids


SCAN_RULES = (  # three `codi scan` results, oldest first: findings per rule in each
    ("scan-2026-11-01", "2026-11-01T04:00:00Z", {"DL3008": 9, "SC2086": 7, "CD306": 5, "DL3059": 4}),
    ("scan-2026-11-15", "2026-11-15T04:00:00Z", {"DL3008": 6, "SC2086": 5, "CD306": 5, "DL3059": 2}),
    ("scan-2026-12-01", "2026-12-01T04:00:00Z", {"DL3008": 3, "SC2086": 4, "CD306": 4}),
)


def add_lint_and_scans(runs: Path) -> list[Path]:
    """Real `codi lint` reports (SARIF under <runs>/_lint, JSON returned for --lint) and a scan database
    holding SCAN_RULES; returns the JSON reports written outside the runs folder."""
    import os
    import subprocess
    import sys

    from codi.fleet.db import open_db
    from codi.fleet.db_protocol import ContentRow, RepoRow, ScanRow

    lint_dir = runs / "_lint"
    lint_dir.mkdir(parents=True, exist_ok=True)
    given = []
    for n, (stack, fmt, folder) in enumerate((("python", "sarif", lint_dir), ("node", "json", runs.parent),
                                              ("go", "json", runs.parent))):
        out = folder / f"{stack}.{fmt}"
        r = subprocess.run([sys.executable, "-m", "codi", "lint", str(REPO / "demo" / stack / "Dockerfile"),
                            "--format", fmt, "--output-file", str(out), "--no-fail"],
                           capture_output=True, text=True, timeout=120)
        assert r.returncode == 0 and out.is_file(), r.stderr
        stamp = 1_796_169_600 + n * 86_400  # 2026-12-02, 03, 04 (UTC): distinct dates for the trend
        os.utime(out, (stamp, stamp))
        if folder != lint_dir:
            given.append(out)
    db = open_db(None, runs / "_fleet" / "fleet.db")
    for scan_id, started, by_rule in SCAN_RULES:
        db.start_scan(ScanRow(scan_id, started, "running", "repos.txt", repos=2))
        db.start_part(scan_id, "all", "here", 2)
        key = f"k-{scan_id}"
        db.put_content(ContentRow(key, sum(by_rule.values()), by_rule, "python", 1, f"store/{key}.json"))
        db.put_repo(scan_id, RepoRow("app", 0, "/src/app", "ok", key, sum(by_rule.values())))
        db.put_repo(scan_id, RepoRow("api", 1, "/src/api", "failed", None, None, "clone failed"))
        db.finish_part(scan_id, "all", "partial")
    db.close()
    return given
