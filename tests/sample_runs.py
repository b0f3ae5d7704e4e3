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
