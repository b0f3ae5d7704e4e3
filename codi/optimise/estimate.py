"""Estimated image size and exact layer-instruction counts, from a documented heuristic.

Every number here is an *estimate* (labelled so in artefacts and reports): the base image from
the size table in base_sizes.py, plus per-instruction guesses below. Only the number of
layer-adding instructions (RUN, COPY, ADD) in the final image is exact. A non-root user or a cache
mount earns no credit by itself; a cache mount only means the cache is not left in the image.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from codi.optimise.base_sizes import MB, SIZE_TABLE_DATE, base_image_bytes
from codi.parser.model import Dockerfile, Instruction
from codi.parser.semantic import Model
from codi.parser.shell import Command, parse_script

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


def _run_mb(cmd: Command, script: str, has_cache_mount: set[str], sizes: ProjectSizes, basis: list[str]) -> float:
    c = cmd.unwrapped()
    sub = next((w for w in c.argv[1:] if not w.startswith("-")), "")
    pkgs = [w for w in c.argv[2:] if not w.startswith("-")] if sub else []
    mb = 0.0
    if c.name in {"apt-get", "apt"} and sub == "install":
        mb = sum(APT_BIG_MB.get(p.split("=")[0], APT_PACKAGE_MB) for p in pkgs[1:] or pkgs)
        basis.append(f"apt install {len(pkgs)} package(s) ≈ {mb:.0f} MB")
    elif c.name in {"apt-get", "apt"} and sub == "update":
        if "/var/lib/apt/lists" not in script and "/var/lib/apt" not in has_cache_mount:
            mb = APT_LISTS_MB
            basis.append(f"apt lists left in the layer ≈ {APT_LISTS_MB} MB")
    elif c.name == "apk" and sub == "add":
        mb = APK_PACKAGE_MB * max(1, len(pkgs) - 1) + (0 if c.has_flag("--no-cache") else 2)
        basis.append(f"apk add ≈ {mb:.0f} MB")
    elif c.name in {"yum", "dnf", "microdnf", "zypper"} and sub == "install":
        mb = RPM_PACKAGE_MB * max(1, len(pkgs) - 1) + (0 if "clean all" in script else RPM_CACHE_MB)
        basis.append(f"{c.name} install ≈ {mb:.0f} MB")
    elif c.name in {"pip", "pip3"} and sub == "install" or (c.name in {"python", "python3"} and "pip" in c.argv[:3]):
        deps = sizes.python_deps or max(1, len(pkgs))
        mb = deps * PIP_PACKAGE_MB
        if not c.has_flag("--no-cache-dir") and not any("pip" in m for m in has_cache_mount):
            mb *= 2
            basis.append("pip cache left in the layer (x2)")
        basis.append(f"pip install of ~{deps} package(s) ≈ {mb:.0f} MB")
    elif c.name in {"npm", "yarn", "pnpm"} and sub in {"install", "ci", "i", "add"}:
        prod_only = c.has_flag("--omit=dev", "--production", "--prod", "--only=production")
        deps = sizes.node_deps + (0 if prod_only else sizes.node_dev_deps)
        mb = max(1, deps) * NODE_PACKAGE_MB
        if not any(m for m in has_cache_mount if "npm" in m or "yarn" in m or "pnpm" in m) and "cache clean" not in script:
            mb *= 1.5
            basis.append("package manager cache left in the layer (x1.5)")
        basis.append(f"node_modules with ~{deps} package(s) ≈ {mb:.0f} MB")
    elif c.name == "go" and sub in {"build", "mod", "install"}:
        mb = sizes.go_modules * GO_MODULE_MB + (0 if has_cache_mount else GO_BUILD_CACHE_MB) + ARTIFACT_MB
        basis.append(f"go module/build cache and binary ≈ {mb:.0f} MB")
    elif c.name in {"mvn", "./mvnw", "gradle", "./gradlew"}:
        mb = (0 if has_cache_mount else MAVEN_REPO_MB) + ARTIFACT_MB
        basis.append(f"{c.name} repository cache and jar ≈ {mb:.0f} MB")
    return mb


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
        mounts = {f.value or "" for f in instr.flags if f.name == "mount" and "type=cache" in (f.value or "")}
        return sum(_run_mb(c, script, mounts, sizes, basis) for c in parse_script(script).commands)
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
