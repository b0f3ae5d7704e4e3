"""Fleets for the scan tests: tiny repositories (folders and file:// git repos) from the shared corpus."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

GIT_ENV = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.com", "GIT_CONFIG_NOSYSTEM": "1", "HOME": "/nonexistent"}


def git(*args: str, cwd: Path) -> None:
    subprocess.run(["git", "-c", "init.defaultBranch=main", *args], cwd=cwd, check=True, capture_output=True,
                   env={**GIT_ENV, "PATH": "/usr/bin:/bin"})


def bare_repo(work: Path, bare: Path, commits: int = 2) -> str:
    """A file:// URL of a bare repository holding ``work``'s files (``commits`` commits deep)."""
    git("init", "-q", cwd=work)
    for n in range(commits):
        (work / "HISTORY").write_text(f"{n}\n", encoding="utf-8")
        git("add", "-A", cwd=work)
        git("commit", "-q", "-m", f"c{n}", cwd=work)
    git("clone", "-q", "--bare", str(work), str(bare), cwd=work.parent)
    return bare.resolve().as_uri()


@pytest.fixture
def fleet(corpus: list[Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A manifest of 30 repositories, one corpus Dockerfile each: 25 folders and 5 file:// git repos."""
    monkeypatch.setenv("CODI_CACHE_DIR", str(tmp_path / "sc-cache"))
    for name in ("CODI_SELECT", "CODI_IGNORE", "CODI_EXTEND_SELECT", "CODI_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    lines = []
    for n, src in enumerate(corpus[:30]):
        work = tmp_path / "src" / f"repo{n:02d}"
        work.mkdir(parents=True)
        shutil.copyfile(src, work / "Dockerfile")
        if n % 6 == 5:
            lines.append(bare_repo(work, tmp_path / "remote" / f"repo{n:02d}.git"))
        else:
            lines.append(str(work))
    manifest = tmp_path / "repos.txt"
    manifest.write_text("# the fleet\n" + "\n".join(lines) + "\n", encoding="utf-8")
    return manifest
