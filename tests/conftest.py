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
def _private_operator_settings() -> Iterator[None]:
    """The audit key and trusted bundle keys live in the operator's state folder (codi.config.operator):
    the suite gets its own, and never reads the machine's /etc/codi/config.toml."""
    path = tempfile.mkdtemp(prefix="codi-test-state-")
    saved = {name: os.environ.get(name) for name in ("XDG_STATE_HOME", "CODI_SYSTEM_CONFIG")}
    os.environ["XDG_STATE_HOME"] = path
    os.environ["CODI_SYSTEM_CONFIG"] = os.path.join(path, "no-system-config.toml")
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
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
