"""Shared test helpers."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus" / "dockerfiles"


def corpus_files() -> list[Path]:
    """The shared corpus of real Dockerfiles, or [] when ../shared is absent."""
    if not CORPUS.is_dir():
        return []
    return sorted(CORPUS.glob("*.Dockerfile"))


@pytest.fixture
def corpus() -> list[Path]:
    files = corpus_files()
    if not files:
        pytest.skip(f"shared corpus not found at {CORPUS} (clone with ../shared beside the repo)")
    return files
