"""Measure one Dockerfile: cold build, rebuild after a one-file source edit, inspect, smoke run."""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from codi.imagebuild.basemap import STANDIN_PREFIX, apply_base_map, copied_images, external_bases, is_alpine
from codi.imagebuild.context import copy_context, source_to_touch, touch_source
from codi.imagebuild.engine import DEFAULT_BUILD_TIMEOUT, Engine, EngineError
from codi.imagebuild.image_config import check_built_image
from codi.imagebuild.mount_targets import absolute_mount_targets
from codi.imagebuild.smoke import DEFAULT_SMOKE_SECONDS, smoke_run
from codi.imagebuild.trust import TOOL_CA_ENV
from codi.parser import ParseError, parse
from codi.parser.semantic import Model, Stage, build_model

if TYPE_CHECKING:
    from codi.optimise.contract.model import RuntimeContract


@dataclass(slots=True)
class BuildSettings:
    timeout: float = DEFAULT_BUILD_TIMEOUT
    smoke_seconds: float = DEFAULT_SMOKE_SECONDS
    network: bool = False  # build containers get no network unless asked for
    rebuild: bool = True
    rebuilds: int = 3  # edits and rebuilds per image; the fastest counts (other load on the machine only slows)
    smoke: bool = True
    base_map: dict[str, str] = field(default_factory=dict)
    build_args: dict[str, str] = field(default_factory=dict)  # --build-arg values (FROM expansion too)
    mounts: list[tuple[Path, str]] = field(default_factory=list)  # read-only in RUN steps (the CA bundle)
    tool_ca_env: bool = False  # trust.TrustPlan.tool_env: ARGs send certifi & co. to the image's bundle
    probes: list[str] = field(default_factory=list)  # HTTP paths the smoke run asks (answers compared)


@dataclass(slots=True)
class Measured:
    """Numbers of one image, or why it failed (``error`` with a log excerpt)."""

    tag: str
    size_bytes: int | None = None
    layers: int | None = None
    build_seconds: float | None = None
    rebuild_seconds: float | None = None
    image_id: str | None = None
    smoke: dict[str, Any] | None = None
    error: str | None = None
    log_tail: str = ""
    touched: str | None = None
    rebuild_samples: list[float] = field(default_factory=list)
    bases_used: dict[str, str] = field(default_factory=dict)
    images: list[str] = field(default_factory=list)  # every image the builds committed (cache layers too)
    config_check: dict[str, Any] | None = None  # the built config vs the static contract (ConfigCheck.as_dict)
    failure: dict[str, str] | None = None  # a recognised cause (BuildFailure.as_dict): no network, untrusted CA

    @property
    def ok(self) -> bool:
        return self.error is None and (self.smoke is None or self.smoke.get("status") != "failed")


def measure_dockerfile(engine: Engine, project: Path, text: str, tag: str, settings: BuildSettings,
                       contract: RuntimeContract | None = None) -> Measured:
    """Build, rebuild, inspect and smoke-run ``text``; ``contract`` is its static runtime contract when
    already known (else computed here) for the comparison with the built image's config."""
    built_text, used = apply_base_map(text, settings.base_map, settings.build_args)
    built_text = absolute_mount_targets(built_text)
    result = Measured(tag=tag, bases_used=used)
    # Base images are never pulled (with or without the build network): each must be local or mapped.
    missing = [ref for ref in external_bases(built_text, settings.build_args)
               if ref.lower() != "scratch" and not engine.exists(ref)]
    copied = [ref for ref in copied_images(built_text) if not engine.exists(ref)]
    if missing or copied:
        result.error = missing_base(missing[0]) if missing else missing_base(copied[0], "image copied from")
        return result
    if not settings.network:
        built_text = bound_retries(built_text)
    elif settings.tool_ca_env:
        built_text = tool_ca_args(built_text)
    with tempfile.TemporaryDirectory(prefix="codi-build-") as tmp:
        context = Path(tmp) / "context"
        context.mkdir()
        copied = copy_context(project, context)
        dockerfile = Path(tmp) / "Dockerfile"
        dockerfile.write_text(built_text, encoding="utf-8")
        # Passed only when there are some: engines (and test fakes) without mounts keep working.
        extra: dict[str, Any] = {"mounts": list(settings.mounts)} if settings.mounts else {}
        try:
            cold = engine.build(context, dockerfile, tag, settings.timeout, settings.network, no_cache=True,
                                build_args=settings.build_args, **extra)
        except EngineError as exc:
            result.error, result.log_tail = exc.message, exc.log
            result.images += exc.images  # the steps before the failure were committed: removed like the others
            if exc.failure is not None:
                result.failure = exc.failure.as_dict()
                result.error = f"{exc.message}: {exc.failure.advice} ({exc.failure.evidence})"
            return result
        result.images += cold.images
        result.build_seconds = round(cold.seconds, 2)
        result.touched = source_to_touch(copied)
        for _ in range(max(1, settings.rebuilds) if settings.rebuild and result.touched else 0):
            touch_source(context, result.touched or "")  # a new edit each time: each rebuild misses the cache
            try:
                again = engine.build(context, dockerfile, tag, settings.timeout, settings.network,
                                     build_args=settings.build_args, **extra)
            except EngineError as exc:
                result.error, result.log_tail = f"rebuild failed: {exc.message}", exc.log
                result.images += exc.images
                return result
            result.images += again.images
            result.rebuild_samples.append(round(again.seconds, 2))
            result.rebuild_seconds = min(result.rebuild_samples)
        shutil.rmtree(context, ignore_errors=True)
    try:
        info = engine.inspect(tag)
    except EngineError as exc:
        result.error, result.log_tail = exc.message, exc.log
        return result
    result.size_bytes, result.layers, result.image_id = info.size_bytes, info.layers, info.image_id
    if info.config:
        result.config_check = check_built_image(text, built_text if used else None, info.config,
                                                settings.build_args, project, contract).as_dict()
    if settings.smoke:
        result.smoke = smoke_run(engine, tag, settings.smoke_seconds, settings.probes)
    return result


def missing_base(ref: str, what: str = "base image") -> str:
    """Why a base (or an image copied from) that is neither local nor mapped cannot be built on (Alpine:
    never onto a Debian stand-in)."""
    if is_alpine(ref):
        return (f"not provable here: {what} {ref} is Alpine (musl libc, busybox `adduser -S`, apk) and the "
                "local stand-ins are Debian, so a build on one would prove nothing about it; load the real "
                "image into the engine to measure it")
    return (f"{what} {ref} is not available offline: no local image and no base map entry (run "
            "`codi bases bootstrap`, or map it under [bases] in .codi.toml); base images are never pulled")


# Offline, npm retries a failed download for about a minute and pip for several seconds before giving up:
# a stage that runs them gets these ARGs (RUN steps see them as environment; no image config keeps them).
# pip keeps one retry: only its retry warning names the cause ("Temporary failure in name resolution").
_RETRY_ARGS = (
    (re.compile(r"\b(npm|npx)\b"), ("npm_config_fetch_retries=0", "npm_config_fetch_retry_mintimeout=1000",
                                    "npm_config_fetch_retry_maxtimeout=2000", "npm_config_fetch_timeout=10000")),
    (re.compile(r"\bpip3?\b"), ("PIP_RETRIES=1", "PIP_TIMEOUT=10")),
)


def bound_retries(text: str) -> str:
    """``text`` with retry-bounding ARGs after the FROM of each stage that runs npm or pip (for builds
    without network, where every download fails: fail in seconds, not minutes)."""
    def lines(model: Model, stage: Stage) -> list[str]:
        runs = " ".join(i.text for i in stage.instructions if i.keyword == "RUN")
        return [arg for pattern, args in _RETRY_ARGS if pattern.search(runs) for arg in args]

    return _with_args(text, lines)


def tool_ca_args(text: str) -> str:
    """``text`` with ARGs that point tools with a CA store of their own at the image's bundle
    (``trust.TOOL_CA_ENV``), after the FROM of each stage built on a stand-in (whose bundle is at that path)."""
    def lines(model: Model, stage: Stage) -> list[str]:
        root = model.stage_chain(stage)[0]
        on_standin = (root.base_resolved or root.base).startswith(STANDIN_PREFIX)
        return [f"{name}={value}" for name, value in TOOL_CA_ENV.items()] if on_standin else []

    return _with_args(text, lines)


def _with_args(text: str, wanted: Callable[[Model, Stage], list[str]]) -> str:
    """``text`` with ``ARG name=value`` lines right after each stage's FROM, as ``wanted`` lists them; a stage
    that declares any of those names itself is left alone. Lines are added, none changed: line numbers of the
    rest shift, the image's config does not (ARGs are not kept)."""
    try:
        model = build_model(parse(text))
    except ParseError:
        return text
    after: dict[int, list[str]] = {}
    for stage in model.stages:
        args = wanted(model, stage)
        declared = {i.rest.split("=")[0].strip() for i in stage.instructions if i.keyword == "ARG"}
        if not args or {a.split("=")[0] for a in args} & declared:
            continue  # nothing to add, or the Dockerfile sets them itself
        after[stage.from_instr.end_line] = [f"ARG {arg}" for arg in args]
    if not after:
        return text
    out: list[str] = []
    for number, line in enumerate(text.splitlines(keepends=True), start=1):
        out.append(line if line.endswith("\n") else line + "\n")
        out += [f"{arg}\n" for arg in after.get(number, [])]
    return "".join(out)
