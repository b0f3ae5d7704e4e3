""".ci/run is the CI job: it runs `make test` from the repository root and exits with make's status."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("status", [0, 1, 2])
def test_ci_run_calls_make_test_and_keeps_its_exit_status(tmp_path: Path, status: int) -> None:
    fake = tmp_path / "make"
    fake.write_text(f'#!/bin/sh\necho "$PWD $*" > "{tmp_path}/called"\nexit {status}\n')
    fake.chmod(0o755)
    env = {**os.environ, "PATH": f"{tmp_path}{os.pathsep}{os.environ['PATH']}"}
    done = subprocess.run([str(REPO / ".ci" / "run")], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == status, done.stderr
    assert (tmp_path / "called").read_text().split() == [str(REPO), "test"]
