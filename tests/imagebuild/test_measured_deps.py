"""Issue 24: demo/python installs real, pinned dependencies from PyPI; `codi run --real --build-network`
builds the original and the recommended candidate with them, and both answer the same probes.

Slow (two buildah builds with downloads, plus rebuilds). Skipped, with the reason, only where real builds
cannot run here (no buildah/mmdebstrap, CODI_SKIP_REAL_BUILDS=1), the python stand-ins are not bootstrapped
(`make test-bases`), or PyPI cannot be reached from this machine (checked first, in a few seconds).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from realbuild import unreachable, why_not_real_builds

from codi.imagebuild.buildah import BuildahEngine
from codi.service.estimate_check import missing_bases

REPO = Path(__file__).resolve().parents[2]
PYPI = "https://pypi.org/simple/fastapi/"
WHY_NOT = why_not_real_builds()
pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(WHY_NOT is not None, reason=f"real buildah builds unavailable: {WHY_NOT}")]


def _pypi_problem() -> str | None:
    return unreachable(PYPI)


def test_python_demo_with_dependencies_builds_and_answers_the_same(tmp_path: Path) -> None:
    problem = _pypi_problem()
    if problem:
        pytest.skip(f"the demo's dependencies come from PyPI: {problem}")
    project = tmp_path / "python"
    shutil.copytree(REPO / "demo" / "python", project)
    missing = missing_bases(project, BuildahEngine())
    if missing:
        pytest.skip(f"no local stand-in for {', '.join(missing)} (`make test-bases`)")
    env = {**os.environ, "AIRGAP": "false", "CODI_BASE_MAP": ""}
    env.pop("CODI_BASE_MAP")
    got = subprocess.run([sys.executable, "-m", "codi", "run", str(project), "--real", "--build-network",
                          "--no-llm", "--disable-rag", "--candidate-limit", "2", "--out", str(tmp_path / "runs")],
                         capture_output=True, text=True, timeout=1500, env=env)
    assert got.returncode == 0, got.stdout[-2000:] + got.stderr[-2000:]
    run_dir = next(p for p in (tmp_path / "runs").iterdir() if (p / "metadata" / "run.json").is_file())  # not _traces
    record = json.loads((run_dir / "metadata" / "run.json").read_text())
    metrics = json.loads((run_dir / "metadata" / "metrics.json").read_text())
    pick = record["recommendation"]["candidate_id"]
    original = metrics["original"]
    chosen = next(c for c in metrics["candidates"] if c["candidate_id"] == pick)
    for name, image in (("original", original), (pick, chosen)):
        assert image["kind"] == "measured", (name, image["basis"], (run_dir / "logs").iterdir())
        assert image["smoke"]["status"] == "passed", (name, image["smoke"])
    want, have = original["smoke"]["answers"], chosen["smoke"]["answers"]
    assert want["/healthz"] == {"status": 200, "content_type": "application/json",
                                "body": '{"status":"ok","version":"1.0.0"}'}
    assert have == want and chosen["smoke"]["same_answers"] is True
    # Both installed the pinned FastAPI and uvicorn from requirements.txt (nothing else was in the stand-ins).
    candidate = (run_dir / "candidates" / f"{pick}.Dockerfile").read_text()
    assert "install -r requirements.txt" in candidate
