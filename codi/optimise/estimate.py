"""Estimated image size and exact layer-instruction counts, from a documented heuristic.

Every number here is an *estimate* (labelled so in artefacts and reports): the base image from
the size table in base_sizes.py, plus per-instruction guesses below. Only the number of
layer-adding instructions (RUN, COPY, ADD) in the final image is exact. A non-root user or a cache
mount earns no credit by itself; a cache mount only means the cache is not left in the image.

A RUN is read as tool calls by ``codi.rules.cd.commands`` (the one place that knows which words
are flags, flag values, subcommands and version pins), then each call is sized by the small
function ``_SIZERS`` names for its tool.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from codi.optimise.base_sizes import MB, SIZE_TABLE_DATE, base_image_bytes
from codi.parser.model import Dockerfile, Instruction
from codi.parser.mounts import cache_targets
from codi.parser.semantic import Model
from codi.parser.shell import parse_script
from codi.rules.cd.commands import ToolCall, installed_packages, tool_calls

# Heuristic sizes in MB (documented in docs/estimates.md).
APT_PACKAGE_MB = 8
APT_BIG_MB = {"build-essential": 220, "gcc": 60, "g++": 55, "clang": 300, "git": 45, "default-jdk": 300,
              "openjdk-17-jdk": 300, "python3-dev": 40, "nodejs": 80, "npm": 60, "postgresql-client": 20}
APT_LISTS_MB = 45
APK_PACKAGE_MB = 3
RPM_PACKAGE_MB = 12
RPM_CACHE_MB = 100
PIP_PACKAGE_MB = 12
NODE_PACKAGE_MB = 2.5
GO_MODULE_MB = 3
GO_BUILD_CACHE_MB = 150
MAVEN_REPO_MB = 150
ARTIFACT_MB = 15  # a compiled binary or jar copied from a build stage


@dataclass(slots=True)
class Estimate:
    size_bytes: int | None
    layers: int
    kind: str = "estimated"
    basis: list[str] = field(default_factory=list)


@dataclass(slots=True)
class ProjectSizes:
    """What the project folder tells about dependency counts and context size."""

    context_bytes: int = 0
    python_deps: int = 0
    node_deps: int = 0
    node_dev_deps: int = 0
    go_modules: int = 0


def context_size(project: Path, ignore: list[str] | None = None) -> int:
    """Bytes a `COPY . .` would send, skipping .git and (roughly) .dockerignore'd top-level names."""
    skipped = {".git"} | {p.strip().strip("/") for p in (ignore or []) if p.strip() and "*" not in p and not p.startswith("!")}
    total = 0
    for root, dirs, files in os.walk(project):
        rel = Path(root).relative_to(project)
        dirs[:] = [d for d in dirs if (rel / d).as_posix() not in skipped and d not in {".git"}]
        for name in files:
            if (rel / name).as_posix() in skipped:
                continue
            try:
                total += (Path(root) / name).stat().st_size
            except OSError:
                pass
    return total


@dataclass(slots=True)
class _Layer:
    """What a RUN's sizers read: its script, its cache mounts, the project's dependency counts."""

    script: str
    cache_mounts: set[str]
    sizes: ProjectSizes

    def cached(self, *names: str) -> bool:
        return any(name in m for m in self.cache_mounts for name in names)


_Sizer = Callable[[ToolCall, _Layer], tuple[float, str] | None]


def _apt_install(call: ToolCall, layer: _Layer) -> tuple[float, str]:
    pkgs = installed_packages(call)
    mb = float(sum(APT_BIG_MB.get(p, APT_PACKAGE_MB) for p in pkgs))
    return mb, f"apt install {len(pkgs)} package(s) ({', '.join(pkgs)}) ≈ {mb:.0f} MB"


def _apt_update(call: ToolCall, layer: _Layer) -> tuple[float, str] | None:
    if "/var/lib/apt/lists" in layer.script or layer.cached("/var/lib/apt"):
        return None
    return APT_LISTS_MB, f"apt lists left in the layer ≈ {APT_LISTS_MB} MB"


def _apk_add(call: ToolCall, layer: _Layer) -> tuple[float, str]:
    mb = APK_PACKAGE_MB * max(1, len(installed_packages(call))) + (0 if call.has("--no-cache") else 2)
    return mb, f"apk add ≈ {mb:.0f} MB"


def _rpm_install(call: ToolCall, layer: _Layer) -> tuple[float, str]:
    mb = RPM_PACKAGE_MB * max(1, len(installed_packages(call))) + (0 if "clean all" in layer.script else RPM_CACHE_MB)
    return mb, f"{call.tool} install ≈ {mb:.0f} MB"


def _pip_install(call: ToolCall, layer: _Layer) -> tuple[float, str]:
    deps = layer.sizes.python_deps or max(1, len(call.positional()))
    mb = float(deps * PIP_PACKAGE_MB)
    why = f"pip install of ~{deps} package(s)"
    if not call.has("--no-cache-dir") and not layer.cached("pip"):
        mb *= 2
        why += ", pip cache left in the layer (x2)"
    return mb, f"{why} ≈ {mb:.0f} MB"


def _node_install(call: ToolCall, layer: _Layer) -> tuple[float, str]:
    prod_only = call.has("--omit=dev", "--production", "--prod", "--only=production")
    deps = layer.sizes.node_deps + (0 if prod_only else layer.sizes.node_dev_deps)
    mb = max(1, deps) * NODE_PACKAGE_MB
    why = f"node_modules with ~{deps} package(s)"
    if not layer.cached("npm", "yarn", "pnpm") and "cache clean" not in layer.script:
        mb *= 1.5
        why += ", package manager cache left in the layer (x1.5)"
    return mb, f"{why} ≈ {mb:.0f} MB"


def _go_build(call: ToolCall, layer: _Layer) -> tuple[float, str]:
    mb = layer.sizes.go_modules * GO_MODULE_MB + (0 if layer.cache_mounts else GO_BUILD_CACHE_MB) + ARTIFACT_MB
    return mb, f"go module/build cache and binary ≈ {mb:.0f} MB"


def _jvm_build(call: ToolCall, layer: _Layer) -> tuple[float, str]:
    mb = (0 if layer.cache_mounts else MAVEN_REPO_MB) + ARTIFACT_MB
    return mb, f"{call.tool} repository cache and jar ≈ {mb:.0f} MB"


# (tool, subcommands or None for any) -> sizer; tool names as codi.rules.cd.commands normalises them.
_SIZERS: dict[str, tuple[frozenset[str] | None, _Sizer]] = {
    "apt-get:install": (frozenset({"install"}), _apt_install),
    "apt-get:update": (frozenset({"update"}), _apt_update),
    "apk": (frozenset({"add"}), _apk_add),
    "yum": (frozenset({"install"}), _rpm_install),
    "dnf": (frozenset({"install"}), _rpm_install),
    "microdnf": (frozenset({"install"}), _rpm_install),
    "zypper": (frozenset({"install", "in"}), _rpm_install),
    "pip": (frozenset({"install"}), _pip_install),
    "npm": (frozenset({"install", "ci", "i", "add"}), _node_install),
    "yarn": (frozenset({"install", "ci", "i", "add"}), _node_install),
    "pnpm": (frozenset({"install", "ci", "i", "add"}), _node_install),
    "go": (frozenset({"build", "mod", "install"}), _go_build),
    "mvn": (None, _jvm_build),
    "gradle": (None, _jvm_build),
}


def _sizer(call: ToolCall) -> _Sizer | None:
    for key in (f"{call.tool}:{call.sub}", call.tool):
        entry = _SIZERS.get(key)
        if entry is not None and (entry[0] is None or call.sub in entry[0]):
            return entry[1]
    return None


def _run_mb(script: str, cache_mounts: set[str], sizes: ProjectSizes, basis: list[str]) -> float:
    """What one RUN leaves in its layer: the sum over its package-manager and build commands."""
    layer = _Layer(script, cache_mounts, sizes)
    total = 0.0
    for call in tool_calls(parse_script(script)):
        sizer = _sizer(call)
        sized = sizer(call, layer) if sizer is not None else None
        if sized is not None:
            total += sized[0]
            basis.append(sized[1])
    return total


def _instr_mb(instr: Instruction, model: Model, sizes: ProjectSizes, basis: list[str]) -> float:
    if instr.keyword in {"COPY", "ADD"}:
        src = instr.flag("from")
        if src is not None:
            path = " ".join(instr.args[:-1])
            if path.endswith(".crt") or "/etc/ssl" in path or "zoneinfo" in path:
                return 0.3
            if "node_modules" in path:
                return max(1, sizes.node_deps) * NODE_PACKAGE_MB
            if "venv" in path or "site-packages" in path:
                return max(1, sizes.python_deps) * PIP_PACKAGE_MB
            basis.append(f"artifact copied from stage {src.value} ≈ {ARTIFACT_MB} MB")
            return ARTIFACT_MB
        sources = instr.args[:-1]
        if any(s in {".", "./", "/"} or s.endswith("/.") for s in sources):
            basis.append(f"build context ≈ {sizes.context_bytes / MB:.1f} MB")
            return sizes.context_bytes / MB
        return min(sizes.context_bytes / MB, 1.0)
    if instr.keyword == "RUN" and not instr.json_form and instr.args:
        script = instr.args[0]
        mounts = set(cache_targets(instr))
        return _run_mb(script, mounts, sizes, basis)
    return 0.0


def estimate(df: Dockerfile, model: Model, sizes: ProjectSizes) -> Estimate:
    """Estimate the final image of ``df``."""
    stage = model.final_stage
    if stage is None:
        return Estimate(size_bytes=None, layers=0, basis=["no stages"])
    chain = model.stage_chain(stage)
    basis: list[str] = []
    base = chain[0].base_resolved or chain[0].base
    base_bytes = base_image_bytes(base)
    if base_bytes is None:
        basis.append(f"base image {base} is not in the size table ({SIZE_TABLE_DATE}): size unknown")
    else:
        basis.append(f"base image {base} ≈ {base_bytes / MB:.0f} MB (size table {SIZE_TABLE_DATE})")
    added = 0.0
    layers = 0
    for st in chain:
        for instr in st.instructions:
            if instr.keyword in {"RUN", "COPY", "ADD"}:
                layers += 1
                added += _instr_mb(instr, model, sizes, basis)
    size = None if base_bytes is None else base_bytes + int(added * MB)
    return Estimate(size_bytes=size, layers=layers, basis=basis)
