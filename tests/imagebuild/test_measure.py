"""measure(): engine choice, failures, clean-up and merging into metrics, with a fake engine."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pytest
from fake_engine import FakeEngine, go_project

from codi.imagebuild.detect import detect_engine
from codi.optimise.catalog import load_catalog
from codi.service.analyze import analyze
from codi.service.candidates import build_candidates
from codi.service.measure import MeasureOptions, measure
from codi.service.run import RunOptions, run_project


@pytest.fixture()
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return go_project(tmp_path, monkeypatch, "golang:*=local/go-standin:1")


def test_no_engine_keeps_estimates_and_says_why(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    engine, why = detect_engine("auto")
    assert engine is None and "docker" in why and "buildah" in why
    assert detect_engine("podman")[0] is None


def test_measures_all_marks_failures_and_removes_images(project: Path, tmp_path: Path) -> None:
    analysis = analyze(project, None, None, None)
    cands = build_candidates(analysis, load_catalog(None), 3)
    assert len(cands.built) >= 2
    failing = next(c.record.id for c in cands.built if "scratch" in c.record.id or "distroless" in c.record.id)
    engine = FakeEngine(fail_build={"distroless"} if "distroless" in failing else {"scratch"})
    run_dir = tmp_path / "run"
    result = measure(run_dir, analysis, cands.built, MeasureOptions(min_free_bytes=0), engine=engine)
    assert result.engine["mode"] == "measured" and result.engine["network"] == "none"
    assert all(not network for _, network, _ in engine.built)  # offline builds
    assert result.original is not None and result.original.error is None
    assert result.original.build_seconds == 0.5 and result.original.rebuild_seconds == 0.1
    assert result.original.touched == "main.go"
    assert result.base_map == {"golang:1.22": "local/go-standin:1"}
    assert failing in result.failed and "build failed" in result.failed[failing]
    assert sorted(engine.removed) == sorted({t for t, _, _ in engine.built})
    assert (run_dir / "logs" / f"build-{failing}.log").read_text().startswith("error: build failed")
    # Candidate files are not touched: the rewrite happens on a temp copy.
    assert all("local/go-standin" not in c.text for c in cands.built)

    metrics = run_project(project, RunOptions(out=tmp_path / "runs", llm=False, rag=False, dry_run=True)).metrics
    result.apply(metrics)
    assert metrics.original.kind == "measured" and metrics.original.engine == "fake"
    by_id = {c.candidate_id: c for c in metrics.candidates}
    assert by_id[failing].kind == "estimated" and by_id[failing].smoke["status"] == "failed"
    good = next(c for c in metrics.candidates if c.candidate_id != failing)
    assert good.kind == "measured" and good.size_delta_bytes == good.size_bytes - metrics.original.size_bytes


def test_disk_check_refuses_to_build(project: Path) -> None:
    analysis = analyze(project, None, None, None)
    engine = FakeEngine()
    result = measure(None, analysis, [], MeasureOptions(min_free_bytes=1 << 60), engine=engine)
    assert result.engine["mode"] == "estimate" and "free" in result.engine["reason"]
    assert engine.built == []


def test_keep_images(project: Path) -> None:
    analysis = analyze(project, None, None, None)
    engine = FakeEngine()
    measure(None, analysis, [], MeasureOptions(min_free_bytes=0, keep_images=True), engine=engine)
    assert engine.built and engine.removed == []


def test_rebuild_is_the_fastest_of_several_fresh_edits(project: Path) -> None:
    from codi.imagebuild.engine import BuildOutcome
    from codi.imagebuild.measure_image import BuildSettings, measure_dockerfile

    class Slowing(FakeEngine):
        def build(self, context: Path, dockerfile: Path, tag: str, timeout: float, network: bool,
                  no_cache: bool = False, build_args: Mapping[str, str] | None = None) -> BuildOutcome:
            out = super().build(context, dockerfile, tag, timeout, network, no_cache, build_args)
            self.edits.append((context / "main.go").read_bytes())
            return BuildOutcome(tag, [5.0, 0.3, 0.2][len(self.built) - 1], out.log_tail)

    engine = Slowing()
    engine.edits = []
    got = measure_dockerfile(engine, project, (project / "Dockerfile").read_text(), "t", BuildSettings(rebuilds=2))
    assert got.build_seconds == 5.0 and got.rebuild_samples == [0.3, 0.2] and got.rebuild_seconds == 0.2
    cold, first, second = engine.edits
    assert first.startswith(cold) and second.startswith(first) and len(cold) < len(first) < len(second)


def test_build_args_reach_every_build(project: Path) -> None:
    analysis = analyze(project, None, None, None)
    cands = build_candidates(analysis, load_catalog(None), 2)
    engine = FakeEngine()
    measure(None, analysis, cands.built, MeasureOptions(min_free_bytes=0, build_args={"GOFLAGS": "-mod=mod"}),
            engine=engine)
    assert engine.build_args and all(args == {"GOFLAGS": "-mod=mod"} for args in engine.build_args)


def test_measured_numbers_keep_the_estimate_and_its_error_on_the_built_base(project: Path) -> None:
    """The estimate's parts stay beside the measured size, and its error is taken on the base that was built
    (the stand-in's own size, scratch as 0), not on the official image's size from the table."""
    from codi.imagebuild.engine import ImageInfo
    from codi.service.run import estimated_numbers

    analysis = analyze(project, None, None, None)
    cands = build_candidates(analysis, load_catalog(None), 3)
    engine = FakeEngine(images={"local/go-standin:1": ImageInfo("sha256:base", 600_000_000, 5, "", [], [], [])})
    metrics = estimated_numbers(analysis, cands)
    before = {n.candidate_id: n for n in metrics.candidates}
    estimated_original = metrics.original.size_bytes
    result = measure(None, analysis, cands.built, MeasureOptions(min_free_bytes=0), engine=engine)
    assert result.base_sizes.get("golang:1.22") == 600_000_000
    result.apply(metrics)
    orig = metrics.original
    assert orig.kind == "measured" and orig.parts and orig.estimated_size_bytes == estimated_original
    added = sum(p.size_bytes or 0 for p in orig.parts if p.kind != "base")
    assert orig.size_bytes is not None and orig.estimate_error_pct == round(
        100.0 * (600_000_000 + added - orig.size_bytes) / orig.size_bytes, 1)
    scratch = next(n for n in metrics.candidates if "scratch" in n.candidate_id)
    assert scratch.size_bytes is not None and scratch.estimate_error_pct == round(
        100.0 * (before[scratch.candidate_id].size_bytes - scratch.size_bytes) / scratch.size_bytes, 1)
