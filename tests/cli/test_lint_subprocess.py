"""A couple of real `codi` processes: the console script, exit codes, no tracebacks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

CODI = Path(sys.executable).parent / "codi"


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CODI_")}
    return subprocess.run([str(CODI), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=60)


def test_console_script_lints_and_sets_exit_code(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / "Dockerfile").write_text("FROM ubuntu\n")
    proc = run("lint", "--format", "json", "Dockerfile", cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    assert any(d["code"] == "DL3006" and d["file"] == "Dockerfile" for d in json.loads(proc.stdout))


def test_missing_path_is_exit_2_without_traceback(tmp_path: Path) -> None:
    proc = run("lint", "no/such/Dockerfile", cwd=tmp_path)
    assert proc.returncode == 2
    assert "no/such/Dockerfile: no such file or directory" in proc.stderr
    assert "Traceback" not in proc.stderr
