"""Fixtures for the browser tests: one Chromium and one set of real runs for the whole module."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browserkit import chromium, require_browser
from sample_runs import add_lint_and_scans, make_runs


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    require_browser()
    with chromium() as driver:
        yield driver


@pytest.fixture(scope="session")
def runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    return make_runs(tmp_path_factory.mktemp("browser"))


@pytest.fixture(scope="session")
def lint_files(runs: tuple[Path, list[str]]) -> list[Path]:
    """Lint reports (one saved under <runs>/_lint, the returned two for --lint) and three scans in the runs."""
    return add_lint_and_scans(runs[0])
