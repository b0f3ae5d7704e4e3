"""Real buildah builds of the go demo on the golang stand-in: each built image's config equals the static
runtime contract CODI computed from its Dockerfile (what the Dockerfile sets; the stand-in is not golang:1.22).

Skipped, with the reason, where buildah or mmdebstrap cannot run, or when CODI_SKIP_REAL_BUILDS=1 (a
first run bootstraps the golang stand-in, a few minutes; later runs reuse the cache).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from realbuild import why_not_real_builds

from codi.imagebuild.bases import bootstrap
from codi.imagebuild.buildah import BuildahEngine
from codi.optimise.catalog import load_catalog
from codi.service.analyze import analyze
from codi.service.candidates import build_candidates
from codi.service.measure import MeasureOptions, measure

DEMO = Path(__file__).resolve().parents[2] / "demo" / "go"


WHY_NOT = why_not_real_builds()
pytestmark = pytest.mark.skipif(WHY_NOT is not None, reason=f"real buildah builds unavailable: {WHY_NOT}")


def test_go_demo_built_configs_equal_their_static_contracts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    engine = BuildahEngine()
    mapping = bootstrap(engine, ["go"], timeout=1200, log=[])
    assert mapping.get("golang:1.22", "").startswith("localhost/codi-standin/golang:")
    monkeypatch.delenv("CODI_BASE_MAP", raising=False)
    project = tmp_path / "go"
    shutil.copytree(DEMO, project)
    analysis = analyze(project, None, None, None)
    cands = build_candidates(analysis, load_catalog(None), 3)
    options = MeasureOptions(engine="buildah", build_timeout=600, smoke_seconds=1)
    result = measure(tmp_path / "run", analysis, cands.built, options, engine=engine)

    assert result.engine["mode"] == "measured", result.engine
    assert result.original is not None and result.original.error is None, result.original.log_tail
    checks = result.engine["config_check"]
    assert set(checks) == {"original"} | {k for k, m in result.candidates.items() if m.error is None}
    for key, check in checks.items():
        assert check["mismatches"] == [] and "error" not in check, (key, check)
        # golang:1.22 was a stand-in: only what the Dockerfile sets; a scratch image is compared in full.
        scratch = "scratch" in key
        assert check["dockerfile_only"] is not scratch, (key, check)
        if scratch:
            assert {"entrypoint", "cmd", "user", "workdir", "env", "ports"} <= set(check["checked"])
    # The original sets CMD (shell form), WORKDIR and EXPOSE: all three were compared.
    assert {"cmd", "workdir", "ports"} <= set(checks["original"]["checked"])
    assert result.notes == []
