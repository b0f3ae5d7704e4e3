"""Real builds with buildah against a stand-in golang base: the go demo's original and scratch candidate.

Slow (a first run bootstraps the golang stand-in with mmdebstrap, a few minutes; later runs reuse
the cache in CODI_BASES_DIR or ~/.cache/codi/bases). Skipped, with the reason, where buildah or
mmdebstrap cannot run, or when CODI_SKIP_REAL_BUILDS=1.
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


def test_go_demo_measured_with_standin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    engine = BuildahEngine()
    notes: list[str] = []
    mapping = bootstrap(engine, ["go"], timeout=1200, log=notes)
    assert mapping.get("golang:1.22", "").startswith("localhost/codi-standin/golang:")
    again: list[str] = []
    bootstrap(engine, ["go"], log=again)
    assert all(n.endswith("cached") for n in again)  # idempotent, cached

    monkeypatch.delenv("CODI_BASE_MAP", raising=False)
    project = tmp_path / "go"
    shutil.copytree(DEMO, project)
    analysis = analyze(project, None, None, None)
    cands = build_candidates(analysis, load_catalog(None), 3)
    scratch = [c for c in cands.built if c.record.rule_id == "go-static-scratch"]
    assert scratch, [c.record.id for c in cands.built]
    options = MeasureOptions(engine="buildah", build_timeout=600, smoke_seconds=2)
    result = measure(tmp_path / "run", analysis, scratch, options, engine=engine)

    assert result.engine["mode"] == "measured", result.engine
    orig, cand = result.original, result.candidates[scratch[0].record.id]
    assert orig is not None and orig.error is None, orig.log_tail if orig else None
    assert cand.error is None, cand.log_tail
    assert result.failed == {}
    for m in (orig, cand):
        assert m.size_bytes and m.layers and m.image_id and m.build_seconds and m.rebuild_seconds
        assert m.smoke is not None and m.smoke["status"] == "passed", m.smoke
    assert cand.size_bytes is not None and orig.size_bytes is not None
    assert cand.size_bytes < 0.5 * orig.size_bytes
    assert "HTTP" in cand.smoke["reason"] if cand.smoke else False
    # Images were removed afterwards (no --keep-images).
    assert not engine.exists(orig.tag) and not engine.exists(cand.tag)
    # ... and so were the per-instruction cache images these builds committed, and only those.
    assert orig.images and cand.images
    assert not [i for i in orig.images + cand.images if engine.exists(i)]
    assert engine.exists("localhost/codi-standin/golang:bookworm") or "golang" not in str(mapping)
    print(f"\ngo original: {orig.size_bytes} B, {orig.layers} layers, build {orig.build_seconds}s, "
          f"rebuild {orig.rebuild_seconds}s\ngo scratch:  {cand.size_bytes} B, {cand.layers} layers, "
          f"build {cand.build_seconds}s, rebuild {cand.rebuild_seconds}s")
