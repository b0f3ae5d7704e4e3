"""Small fleets for the `codi scan` tests: repositories of one shared-corpus Dockerfile each."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

LINT_SETTINGS = ("CODI_SELECT", "CODI_IGNORE", "CODI_EXTEND_SELECT", "CODI_CONFIG", "RAY_ADDRESS")


def corpus_repos(corpus: list[Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, count: int) -> list[Path]:
    """``count`` folders of one corpus Dockerfile each, then one more with the first one's content; the
    caller's lint settings and RAY_ADDRESS are cleared and the ShellCheck cache is the test's own."""
    monkeypatch.setenv("CODI_CACHE_DIR", str(tmp_path / "sc-cache"))
    for name in LINT_SETTINGS:
        monkeypatch.delenv(name, raising=False)
    folders = []
    for n, src in enumerate([*corpus[:count], corpus[0]]):
        folder = tmp_path / "src" / f"repo{n:02d}"
        folder.mkdir(parents=True)
        shutil.copyfile(src, folder / "Dockerfile")
        folders.append(folder)
    return folders


def write_manifest(path: Path, folders: list[Path]) -> str:
    path.write_text("".join(f"{f}\n" for f in folders), encoding="utf-8")
    return str(path)
