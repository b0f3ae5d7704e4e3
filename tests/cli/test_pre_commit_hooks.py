"""The pre-commit hooks in .pre-commit-hooks.yaml (codi-lint, codi-fix), run by pre-commit itself on a fixture
repository, offline: the manifest as it is in this working tree is committed to a local hook repository that
the fixture's .pre-commit-config.yaml names by path and rev (what `repo: <url>` does, without a network), and
the hooks are `language: system`, so pre-commit downloads and installs nothing; `codi` is this venv's."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
SMELLY = "FROM python:3.11\nRUN apt-get update && apt-get install -y curl\nCMD python app.py\n"
CLEAN = 'FROM scratch\nCOPY --chown=1000:1000 app /app\nUSER 1000\nENTRYPOINT ["/app"]\n'


def test_manifest_declares_both_hooks() -> None:
    hooks = {h["id"]: h for h in yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())}
    assert set(hooks) == {"codi-lint", "codi-fix"}
    assert hooks["codi-lint"]["entry"] == "codi lint" and hooks["codi-fix"]["entry"] == "codi fix"
    assert all(h["language"] == "system" and h["types"] == ["dockerfile"] for h in hooks.values())


GIT_ENV = {"GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1", "GIT_AUTHOR_NAME": "t",
           "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}


def _git(cwd: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True, timeout=60,
                          env={**os.environ, **GIT_ENV})
    return done.stdout.strip()


@pytest.fixture
def project(tmp_path: Path) -> Path:
    hooks = tmp_path / "codi-hooks"
    hooks.mkdir()
    (hooks / ".pre-commit-hooks.yaml").write_bytes((REPO / ".pre-commit-hooks.yaml").read_bytes())
    _git(hooks, "init", "-q")
    _git(hooks, "add", ".")
    _git(hooks, "commit", "-q", "-m", "hooks")
    rev = _git(hooks, "rev-parse", "HEAD")
    root = tmp_path / "project"
    root.mkdir()
    (root / "Dockerfile").write_text(SMELLY)
    (root / "Containerfile").write_text(CLEAN)
    (root / "README.md").write_text("not a Dockerfile\n")
    config = {"repos": [{"repo": str(hooks), "rev": rev, "hooks": [{"id": "codi-lint"}, {"id": "codi-fix"}]}]}
    (root / ".pre-commit-config.yaml").write_text(yaml.safe_dump(config))
    _git(root, "init", "-q")
    _git(root, "add", ".")
    return root


def _pre_commit(project: Path, hook: str, *files: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **GIT_ENV}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"  # this checkout's `codi`
    env["PRE_COMMIT_HOME"] = str(project.parent / "pre-commit-home")
    selection = ["--files", *files] if files else ["--all-files"]
    return subprocess.run([sys.executable, "-m", "pre_commit", "run", hook, *selection],
                          cwd=project, env=env, capture_output=True, text=True, timeout=300)


def test_codi_lint_hook_fails_on_findings_and_passes_clean_files(project: Path) -> None:
    failed = _pre_commit(project, "codi-lint")
    out = failed.stdout + failed.stderr
    assert failed.returncode == 1, out
    assert "codi lint" in out and "Failed" in out
    assert "Dockerfile:2:1 DL3009" in out and "Containerfile:" not in out  # the clean file has no findings
    assert "2 files linted" in out or "in 1 of 2 files" in out, out  # README.md is not a Dockerfile
    passed = _pre_commit(project, "codi-lint", "Containerfile", "README.md")
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "Passed" in passed.stdout


def test_codi_fix_hook_fixes_the_file_and_reports_what_is_left(project: Path) -> None:
    result = _pre_commit(project, "codi-fix")
    out = result.stdout + result.stderr
    assert result.returncode == 1, out  # files were modified (and findings are left)
    assert "files were modified by this hook" in out
    fixed = (project / "Dockerfile").read_text()
    assert "rm -rf /var/lib/apt/lists/*" in fixed and fixed != SMELLY
    assert (project / "Containerfile").read_text() == CLEAN
