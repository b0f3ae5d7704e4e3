"""Check the size estimate against real builds: the original and the recommended candidate of a project.

Each image is built once (no rebuilds, no smoke run) with the base map in force (``codi bases bootstrap``
stand-ins on a machine without a registry); its estimate is compared on the same base: the estimate's
base part is replaced by the size of the base image that was built. Used by the estimate-vs-measured test
and by ``bench/estimates.py``; ``codi run --real`` records the same error per image (``estimate_error_pct``).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path

from codi.imagebuild.basemap import external_bases, load_base_map, lookup
from codi.imagebuild.engine import Engine, EngineError
from codi.imagebuild.measure_image import BuildSettings, measure_dockerfile
from codi.optimise.catalog import load_catalog
from codi.optimise.estimate import base_ref, error_pct, on_base
from codi.service.analyze import analyze
from codi.service.candidates import build_candidates
from codi.service.run import RunOptions, estimated_numbers, recommend, run_record


@dataclass(slots=True)
class Checked:
    """One image: its estimate on the base that was built, the measured size, the error (or why none)."""

    key: str  # "original" or the candidate id
    base: str | None = None  # the base image the estimate counted
    built_base: str | None = None  # what was built instead (a stand-in), or the same
    estimated_bytes: int | None = None  # the estimate with the built base's real size
    measured_bytes: int | None = None
    error_pct: float | None = None
    problem: str | None = None  # why there is no error: no stand-in for the base, the build failed


def missing_bases(project: Path, engine: Engine, base_map: dict[str, str] | None = None) -> list[str]:
    """The base images of the project's Dockerfile that cannot be built here (no local image or stand-in)."""
    base_map = load_base_map(project)[0] if base_map is None else base_map
    text = analyze(project).text
    return [ref for ref in external_bases(text) if ref.lower() != "scratch"
            and not engine.exists(lookup(ref, base_map) or ref)]


def check_estimates(project: Path, engine: Engine, timeout: float = 600.0, network: bool = False) -> list[Checked]:
    """Build the original and the recommended candidate of ``project`` once each; compare with the estimates.
    ``network``: the build network for RUN steps (a project that downloads its dependencies), with the CA
    bundle mounted for stand-ins that lack its extra certificates, as ``codi run --real --build-network``."""
    base_map, _ = load_base_map(project)
    analysis = analyze(project)
    cands = build_candidates(analysis, load_catalog(None), 3)
    options = RunOptions(llm=False, rag=False, dry_run=True)
    record = run_record(analysis, cands, "", options, "")
    metrics = estimated_numbers(analysis, cands)
    pick = recommend(record, metrics).candidate_id
    jobs = [("original", analysis.text, metrics.original.parts)]
    jobs += [(b.record.id, b.text, n.parts) for b in cands.built if b.record.id == pick
             for n in metrics.candidates if n.candidate_id == pick]
    mounts: list[tuple[Path, str]] = []
    if network:
        from codi.config.build import ca_bundle
        from codi.imagebuild.basemap import STANDIN_PREFIX
        from codi.imagebuild.trust import plan

        refs = {lookup(r, base_map) for _, text, _ in jobs for r in external_bases(text)}
        standins = sorted(r for r in refs if r and r.startswith(STANDIN_PREFIX))
        bundle = ca_bundle()
        mounts = list(plan(bundle.value, bundle.source, True, standins, engine.name == "buildah").mounts)
    settings = BuildSettings(timeout=timeout, rebuild=False, smoke=False, base_map=base_map, network=network,
                             mounts=mounts)
    out: list[Checked] = []
    for key, text, parts in jobs:
        out.append(_check(engine, project, key, text, parts, settings))
    return out


def _check(engine: Engine, project: Path, key: str, text: str, parts: list, settings: BuildSettings) -> Checked:  # type: ignore[type-arg]
    base = base_ref(parts)
    built_base = lookup(base, settings.base_map) or base if base else None
    got = Checked(key, base=base, built_base=built_base)
    if built_base is None:
        got.problem = "the estimate names no base image"
        return got
    if built_base.lower() == "scratch":
        base_bytes: int | None = 0
    elif not engine.exists(built_base):
        got.problem = f"no local image or stand-in for {base} (codi bases bootstrap)"
        return got
    else:
        base_bytes = engine.inspect(built_base).size_bytes
    tag = f"localhost/codi-estimate-check/{uuid.uuid4().hex[:8]}:{key.lower()}"
    measured = measure_dockerfile(engine, project, text, tag, settings)
    try:
        if measured.error or measured.size_bytes is None or base_bytes is None:
            got.problem = f"not built: {measured.error}"
            return got
        got.measured_bytes = measured.size_bytes
        got.estimated_bytes = on_base(parts, base_bytes)
        got.error_pct = error_pct(got.estimated_bytes, got.measured_bytes)
        return got
    finally:
        try:
            engine.remove([tag, *dict.fromkeys(reversed(measured.images))])
        except EngineError:
            pass
