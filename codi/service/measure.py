"""Measured mode: build the original and every candidate with a real engine, smoke-run them.

The run pipeline calls ``measure()`` after the candidates are written, then ``MeasureResult.apply()``
to put the measured numbers into its MetricsRecord. Without an engine (or disk) nothing is built and
``engine`` says why, so the run keeps its estimates.
"""

from __future__ import annotations

import re
import shutil
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, cast

from codi.artifacts.models import CandidateNumbers, ImageNumbers, MetricsRecord
from codi.imagebuild.basemap import STANDIN_PREFIX, external_bases, load_base_map, lookup
from codi.imagebuild.detect import detect_engine
from codi.imagebuild.engine import DEFAULT_BUILD_TIMEOUT, Engine, EngineError
from codi.imagebuild.failures import STOPS
from codi.imagebuild.measure_image import BuildSettings, Measured, measure_dockerfile
from codi.imagebuild.probes import compare, probe_paths
from codi.imagebuild.smoke import DEFAULT_SMOKE_SECONDS
from codi.imagebuild.standins import describe, stood_in
from codi.imagebuild.trust import plan as trust_plan
from codi.optimise.contract.model import RuntimeContract
from codi.optimise.estimate import base_ref, error_pct, on_base
from codi.service.analyze import Analysis
from codi.service.candidates import BuiltCandidate
from codi.telemetry.redact import redact_text
from codi.telemetry.tracing import span


class Progress(Protocol):
    """Told when a piece of long work starts: ``stage`` ("analyse", "candidates", "build", "rebuild", "smoke",
    "done", "assist", "report"); for the builds, which image (``item``: "original" or a candidate id), its
    place among them (``index`` of ``total``, from 1) and ``detail`` ("2 of 3" rebuilds, the outcome when done)."""

    def __call__(self, stage: str, item: str | None = None, index: int = 0, total: int = 0,
                 detail: str = "") -> None: ...


MIN_FREE_BYTES = 2 * 1024**3  # below this, building is refused up front
_STORAGE = {"buildah": "/var/lib/containers", "docker": "/var/lib/docker"}


@dataclass(slots=True)
class MeasureOptions:
    engine: str = "auto"
    keep_images: bool = False
    build_timeout: float = DEFAULT_BUILD_TIMEOUT
    smoke_seconds: float = DEFAULT_SMOKE_SECONDS
    network: bool = False  # the build network: RUN steps reach what the host reaches (bases are never pulled)
    network_source: str = "default"  # which setting decided it (for environment.json)
    ca_bundle: Path | None = None  # the bundle mounted for stand-ins that lack its extra CAs (None: none)
    ca_source: str = "default"
    min_free_bytes: int = MIN_FREE_BYTES
    build_args: dict[str, str] = field(default_factory=dict)  # --build-arg NAME=VALUE, for every build
    progress: Progress | None = None
    redact: bool = True  # build logs describe the run: redacted like the rest (off only for --no-redact)
    probes: list[str] = field(default_factory=list)  # more HTTP paths to ask (--probe), beside / and health


@dataclass(slots=True)
class MeasureResult:
    engine: dict[str, Any]  # for environment.json: which engine, or why none
    original: Measured | None = None
    candidates: dict[str, Measured] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)  # candidate id -> why (never recommend these)
    base_map: dict[str, str] = field(default_factory=dict)  # FROM rewrites actually used
    # For the run's notes and events: where a built image's config differs from its static contract.
    notes: list[str] = field(default_factory=list)
    # Size of each base image as built (the stand-in where one was used; scratch is 0): what the estimate's
    # error is measured against, on the same base.
    base_sizes: dict[str, int] = field(default_factory=dict)

    def apply(self, metrics: MetricsRecord) -> None:
        """Replace estimates by measured numbers where a build succeeded; keep estimates elsewhere."""
        engine = self.engine.get("name")
        if self.original is not None and self.original.error is None:
            metrics.original = _numbers(self.original, engine, metrics.original, self.base_sizes)
        base = metrics.original
        for i, cand in enumerate(metrics.candidates):
            got = self.candidates.get(cand.candidate_id)
            if got is None:
                continue
            if got.error is not None:
                cand.smoke = {"status": "failed", "reason": got.error, "log_tail": got.log_tail}
                if base.kind == "measured":  # an estimate against a measured original would mix kinds
                    cand.size_delta_bytes = cand.size_delta_pct = cand.layers_delta = None
                continue
            new = CandidateNumbers(candidate_id=cand.candidate_id,
                                   **_numbers(got, engine, cand, self.base_sizes).model_dump(exclude={"candidate_id"}))
            if base.kind == "measured" and base.size_bytes and new.size_bytes is not None:
                new.size_delta_bytes = new.size_bytes - base.size_bytes
                new.size_delta_pct = round(100.0 * new.size_delta_bytes / base.size_bytes, 1)
                new.layers_delta = None if new.layers is None or base.layers is None else new.layers - base.layers
            else:  # the original was not measured: a delta would mix kinds, so give none
                new.size_delta_bytes = new.size_delta_pct = new.layers_delta = None
            metrics.candidates[i] = new


def _estimate_error(before: ImageNumbers, measured: int | None, base_sizes: dict[str, int]) -> float | None:
    """The estimate's error against this build, with the estimate's base replaced by the base actually built."""
    ref = base_ref(before.parts)
    base = 0 if ref is not None and ref.lower() == "scratch" else base_sizes.get(ref or "")
    if base is None or not measured or any(p.size_bytes is None for p in before.parts[1:]):
        return None
    return error_pct(on_base(before.parts, base), measured)


def _numbers(m: Measured, engine: str | None, before: ImageNumbers, base_sizes: dict[str, int]) -> ImageNumbers:
    basis = [f"measured with {engine}"]
    if m.bases_used:
        basis.append("stand-in bases: " + ", ".join(f"{k} -> {v}" for k, v in sorted(m.bases_used.items())))
    if m.touched and m.rebuild_samples:
        samples = ", ".join(f"{s:.2f} s" for s in m.rebuild_samples)
        basis.append(f"rebuild after editing {m.touched}: fastest of {len(m.rebuild_samples)} ({samples})")
    return ImageNumbers(kind="measured", size_bytes=m.size_bytes, layers=m.layers, build_seconds=m.build_seconds,
                        rebuild_seconds=m.rebuild_seconds, image_id=m.image_id, engine=engine, smoke=m.smoke,
                        basis=basis, parts=before.parts, estimated_size_bytes=before.estimated_size_bytes,
                        estimate_error_pct=_estimate_error(before, m.size_bytes, base_sizes))


def _network_note(engine: Engine, network: bool) -> str:
    if network:
        return "the host's (--build-network: RUN steps reach what this machine reaches; base images are never pulled)"
    offline = getattr(engine, "offline_wrapper", None)
    if offline is None:
        return "none"
    return "none (unshare --net)" if offline() else "host: this machine cannot give builds their own network namespace"


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9._-]+", "-", text.lower()).strip("-.") or "image"


def _disk_problem(engine: Engine, need: int) -> str | None:
    for place in (_STORAGE.get(engine.name, "/"), "/tmp"):
        path = Path(place)
        while not path.exists():
            path = path.parent
        free = shutil.disk_usage(path).free
        if free < need:
            return f"only {free // 1024**2} MiB free under {path} (need {need // 1024**2} MiB to build)"
    return None


def measure(run_dir: Path | None, analysis: Analysis, candidates: list[BuiltCandidate],
            options: MeasureOptions, engine: Engine | None = None) -> MeasureResult:
    if engine is None:
        engine, why = detect_engine(options.engine)
        if engine is None:
            return MeasureResult(engine={"mode": "estimate", "name": None, "reason": why})
    disk = _disk_problem(engine, options.min_free_bytes)
    if disk:
        return MeasureResult(engine={"mode": "estimate", "name": engine.name, "reason": disk})
    base_map, sources = load_base_map(analysis.project)
    texts = [analysis.text] + [c.text for c in candidates]
    standins = sorted({t for t in (lookup(r, base_map) for x in texts for r in external_bases(x, options.build_args))
                       if t and t.startswith(STANDIN_PREFIX)})
    ca = trust_plan(options.ca_bundle, options.ca_source, options.network, standins, engine.name == "buildah")
    settings = BuildSettings(timeout=options.build_timeout, smoke_seconds=options.smoke_seconds,
                             network=options.network, base_map=base_map, build_args=dict(options.build_args),
                             mounts=ca.mounts, tool_ca_env=ca.tool_env,
                             probes=probe_paths((analysis.contract or RuntimeContract()).healthcheck, options.probes))
    result = MeasureResult(engine={"mode": "measured", "name": engine.name, "reason": f"built with {engine.name}",
                                   "network": _network_note(engine, options.network),
                                   "build_network": options.network, "build_network_source": options.network_source,
                                   "ca": ca.info, "base_map_sources": sources, "build_timeout_s": options.build_timeout})
    # A token per run: two runs on projects of the same name must not share (or remove) each other's tags.
    prefix = f"localhost/codi-measure/{_slug(analysis.project.name)}-{uuid.uuid4().hex[:8]}"
    tags: list[str] = []
    created: list[str] = []
    jobs: list[tuple[str, str, RuntimeContract | None]] = [("original", analysis.text, _original_contract(analysis))]
    jobs += [(c.record.id, c.text, c.record.contract) for c in candidates]
    try:
        for index, (key, text, contract) in enumerate(jobs, 1):
            stop = result.original.failure if key != "original" and result.original is not None else None
            stop = stop if stop is not None and stop.get("kind") in STOPS else None
            if stop is not None:  # every candidate downloads the same: it would fail the same way, minutes each
                got = Measured(tag="", error=f"not built: the original failed the same way first ({stop['advice']})",
                               failure=stop)
                result.candidates[key] = got
                result.failed[key] = got.error or ""
                _write_log(run_dir, key, got, options.redact)
                if options.progress is not None:
                    options.progress("done", key, index, len(jobs), _outcome(got))
                continue
            tag = f"{prefix}:{_slug(key)}"
            tags.append(tag)
            watched = _watched(engine, options.progress, key, index, len(jobs), settings.rebuilds)
            got = measure_dockerfile(watched, analysis.project, text, tag, settings, contract)
            if key != "original":  # before the log and the progress line, which say how its smoke went
                _same_answers(result.original, got)
            if options.progress is not None:
                options.progress("done", key, index, len(jobs), _outcome(got))
            created += got.images
            result.base_map.update(got.bases_used)
            _write_log(run_dir, key, got, options.redact)
            _config_check(result, key, got)
            if key == "original":
                result.original = got
                if got.error:
                    result.engine["original_error"] = got.error
                if got.failure:
                    result.engine["original_failure"] = got.failure
            else:
                result.candidates[key] = got
                if not got.ok:
                    result.failed[key] = got.error or f"smoke run failed: {(got.smoke or {}).get('reason')}"
    finally:
        if options.keep_images:
            result.engine["kept_images"] = list(tags)
        else:
            engine.remove(tags)
            # The per-instruction cache images our own builds committed; nobody else's.
            engine.remove(list(dict.fromkeys(reversed(created))))
    result.base_sizes = _base_sizes(engine, [text for _, text, _ in jobs], settings)
    result.engine["base_map_used"] = result.base_map
    if result.base_map:
        result.engine["note"] = "FROM images were replaced by local stand-ins at build time; candidate files are unchanged"
        held = {target: describe(target) for target in sorted(set(result.base_map.values()))}
        result.engine["stand_ins"] = {target: what for target, what in held.items() if what}
        versions = {ref: stood_in(ref, target) for ref, target in sorted(result.base_map.items())}
        result.engine["stood_in"] = {ref: text for ref, text in versions.items() if text}
    return result


def _base_sizes(engine: Engine, texts: list[str], settings: BuildSettings) -> dict[str, int]:
    """Bytes of each base image the builds used (through the base map), keyed as the Dockerfiles name them."""
    out: dict[str, int] = {}
    for ref in dict.fromkeys(r for text in texts for r in external_bases(text, settings.build_args)):
        built = lookup(ref, settings.base_map) or ref
        try:
            size = engine.inspect(built).size_bytes if built.lower() != "scratch" and engine.exists(built) else None
        except EngineError:
            size = None
        if size is not None:
            out[ref] = size
    return out


def _outcome(got: Measured) -> str:
    if got.error:
        return f"not built: {got.error}"
    smoke = got.smoke or {}
    return f"built in {got.build_seconds or 0:.1f} s; smoke {smoke.get('status', 'not run')}" + (
        f": {smoke['reason']}" if smoke.get("reason") else "")


class _Watched:
    """The engine, telling ``progress`` the stage each of its calls begins: the cold build, each rebuild,
    the smoke run. Everything else passes through unchanged."""

    def __init__(self, engine: Engine, progress: Progress, key: str, index: int, total: int, rebuilds: int) -> None:
        self._engine, self._progress, self._rebuilds = engine, progress, rebuilds
        self._where = (key, index, total)
        self._rebuilt = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._engine, name)

    def build(self, *args: Any, no_cache: bool = False, **kwargs: Any) -> Any:
        if no_cache:
            self._progress("build", *self._where)
        else:
            self._rebuilt += 1
            self._progress("rebuild", *self._where, f"{self._rebuilt} of {self._rebuilds}")
        with span("build", candidate=self._where[0], no_cache=no_cache):
            return self._engine.build(*args, no_cache=no_cache, **kwargs)

    def start(self, *args: Any, **kwargs: Any) -> Any:
        self._progress("smoke", *self._where)
        with span("smoke", candidate=self._where[0]):
            return self._engine.start(*args, **kwargs)


def _watched(engine: Engine, progress: Progress | None, key: str, index: int, total: int, rebuilds: int) -> Engine:
    if progress is None:
        return engine
    return cast(Engine, _Watched(engine, progress, key, index, total, rebuilds))


def _same_answers(original: Measured | None, got: Measured) -> None:
    """A candidate that answers the probes unlike the original fails its smoke, with the differences."""
    want = ((original.smoke or {}).get("answers") or {}) if original is not None else {}
    smoke = got.smoke or {}
    if not want or smoke.get("status") != "passed" or not smoke.get("answers"):
        return  # nothing to compare: the original was not asked, or the candidate could not be (port busy)
    differs = compare(want, smoke.get("answers") or {})
    smoke["same_answers"] = not differs
    if differs:
        smoke["status"] = "failed"
        smoke["answer_differences"] = differs
        smoke["reason"] = "answers differ from the original's: " + "; ".join(differs)


def _original_contract(analysis: Analysis) -> RuntimeContract | None:
    """The analysis's contract when it is of the stage a plain build makes (the last); else None (computed)."""
    if analysis.target is not None and analysis.target is not analysis.model.final_stage:
        return None
    return analysis.contract


def _config_check(result: MeasureResult, key: str, got: Measured) -> None:
    if got.config_check is None:
        return
    result.engine.setdefault("config_check", {})[key] = got.config_check
    who = "the original" if key == "original" else key
    for mismatch in got.config_check.get("mismatches") or []:
        result.notes.append(f"{who}: static contract differs from the built image: {mismatch}")


def _write_log(run_dir: Path | None, key: str, got: Measured, redact: bool = True) -> None:
    if run_dir is None:
        return
    path = run_dir / "logs" / f"build-{_slug(key)}.log"
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [f"error: {got.error}" if got.error else "built", got.log_tail]
    if got.smoke:
        lines += [f"smoke: {got.smoke.get('status')}: {got.smoke.get('reason')}", str(got.smoke.get("log_tail", ""))]
    if got.config_check:
        found = got.config_check.get("mismatches") or []
        compared = ", ".join(got.config_check.get("checked") or []) or "nothing"
        lines.append(f"image config vs static contract ({compared}): "
                     + ("; ".join(found) if found else got.config_check.get("error") or "matches"))
    text = "\n".join(lines) + "\n"
    path.write_text(redact_text(text) if redact else text, encoding="utf-8")
