"""docker/Dockerfile.slim and docker/Dockerfile.complete: lint-clean, non-root, HEALTHCHECK on /healthz."""

from __future__ import annotations

import re

import pytest
from apikit import REPO

from codi.parser import parse
from codi.service.lint import LintRequest, run_lint

FILES = [REPO / "docker" / "Dockerfile.slim", REPO / "docker" / "Dockerfile.complete"]


def test_codi_lint_finds_nothing() -> None:
    outcome = run_lint(LintRequest(paths=[str(REPO / "docker")], env={}))
    assert sorted(outcome.result.files) == sorted(str(f) for f in FILES)
    assert [f"{f.file}:{f.line} {f.code} {f.message}" for f in outcome.result.findings] == []


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_non_root_with_healthcheck(path: object) -> None:
    text = path.read_text()  # type: ignore[attr-defined]
    df = parse(text, str(path))
    final = [i for i in df.instructions if i.keyword.upper() in ("USER", "HEALTHCHECK", "CMD", "FROM")]
    last_from = max(n for n, i in enumerate(final) if i.keyword.upper() == "FROM")
    tail = final[last_from:]
    users = [i for i in tail if i.keyword.upper() == "USER"]
    assert users and not re.search(r"^(root|0)\b", users[-1].rest.strip())
    checks = [i.text for i in tail if i.keyword.upper() == "HEALTHCHECK"]
    assert checks and "/healthz" in checks[0]


def test_ci_lint_command_is_clean() -> None:
    """What CI runs: `codi lint` on both files exits 0 with no findings at any severity."""
    import subprocess
    import sys

    run = subprocess.run([sys.executable, "-m", "codi", "lint", *map(str, FILES)], capture_output=True, text=True,
                         timeout=120, cwd=REPO)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "All checks passed (2 files linted)" in run.stdout, run.stdout
