"""Shared test fixtures."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from codi_testdata import CORPUS, corpus_files


@pytest.fixture(autouse=True, scope="session")
def _private_cache_dir() -> Iterator[None]:
    """Keep the suite's ShellCheck cache out of the user's ~/.cache (and shared across the suite)."""
    if "CODI_CACHE_DIR" in os.environ:
        yield
        return
    path = tempfile.mkdtemp(prefix="codi-test-cache-")
    os.environ["CODI_CACHE_DIR"] = path
    try:
        yield
    finally:
        os.environ.pop("CODI_CACHE_DIR", None)
        shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(autouse=True, scope="session")
def _no_shared_state_from_the_caller() -> Iterator[None]:
    """A developer's CODI_DB_URL / CODI_CACHE_URL must not send the suite's state to their database:
    the tests that want a shared back-end set these themselves."""
    saved = {name: os.environ.pop(name) for name in ("CODI_DB_URL", "CODI_CACHE_URL") if name in os.environ}
    try:
        yield
    finally:
        os.environ.update(saved)


@pytest.fixture
def corpus() -> list[Path]:
    files = corpus_files()
    if not files:
        pytest.skip(f"shared corpus not found at {CORPUS} (clone with ../shared beside the repo)")
    return files


# Postgres and S3 on loopback, for any test that asks (tests/backends.py).
from backends import pg_url, postgres, s3_endpoint  # noqa: E402,F401
