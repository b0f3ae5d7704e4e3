"""Shared test fixtures."""

from __future__ import annotations

from pathlib import Path

import pytest
from codi_testdata import CORPUS, corpus_files


@pytest.fixture
def corpus() -> list[Path]:
    files = corpus_files()
    if not files:
        pytest.skip(f"shared corpus not found at {CORPUS} (clone with ../shared beside the repo)")
    return files
