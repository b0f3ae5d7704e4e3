"""Estimated image size and exact layer-instruction counts, from a documented heuristic.

Every number here is an *estimate* (labelled so in artefacts and reports): the base image from
the size table in base_sizes.py, plus per-instruction guesses (``codi.optimise.sizers``). Only the
number of layer-adding instructions (RUN, COPY, ADD) in the final image is exact. A non-root user or
a cache mount earns no credit by itself; a cache mount only means the cache is not left in the image.

The estimate names its parts (``Part``): the base image, each install or build step with the packages
it counted, each copy. A reader can check every one of them against the Dockerfile, and the parts add
up to the total. A RUN is read as tool calls by ``codi.rules.cd.commands`` (the one place that knows
which words are flags, flag values, subcommands and version pins).
"""

from __future__ import annotations

import os
import posixpath
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, Protocol

from codi.optimise.base_sizes import MB, SIZE_TABLE_DATE, base_image_bytes
from codi.optimise.sizers import (
    APK_PACKAGE_MB,
    APT_BIG_MB,
    APT_LISTS_MB,
    APT_PACKAGE_MB,
    ARTIFACT_MB,
    GO_BINARY_MB,
    GO_BINARY_PER_MODULE_MB,
    GO_BUILD_CACHE_MB,
    GO_MODULE_MB,
    MAVEN_REPO_MB,
    NODE_PACKAGE_MB,
    PIP_PACKAGE_MB,
    RPM_CACHE_MB,
    RPM_PACKAGE_MB,
    Layer,
    Ledger,
    ProjectSizes,
    expand_words,
    go_binary,
    sizer,
)
from codi.parser.model import Dockerfile, Instruction
from codi.parser.mounts import cache_targets
from codi.parser.semantic import Model, Stage
from codi.parser.shell import parse_script
from codi.rules.cd.commands import removed_packages, tool_calls

__all__ = ["APK_PACKAGE_MB", "APT_BIG_MB", "APT_LISTS_MB", "APT_PACKAGE_MB", "ARTIFACT_MB", "GO_BINARY_MB",
           "GO_BINARY_PER_MODULE_MB", "GO_BUILD_CACHE_MB",
           "GO_MODULE_MB", "KNOWN_ERROR", "MAVEN_REPO_MB", "NODE_PACKAGE_MB", "PIP_PACKAGE_MB", "RPM_CACHE_MB",
           "RPM_PACKAGE_MB", "Estimate", "Part", "ProjectSizes", "base_ref", "context_size", "error_pct", "estimate",
           "on_base"]

# What bench/estimates.py measured (buildah, stand-in bases; docs/estimates.md), for reports to state.
KNOWN_ERROR = ("on CODI's demos the estimate was within ±7% of a measured build for the original and the "
               "recommended candidate (target ±30%; bench/estimates.py); on real projects expect larger errors "
               "where dependency trees are deep (node_modules, Python wheels) and as base images drift")

_ARCHIVES = {".jar", ".war", ".ear", ".so", ".bin", ".exe", ".tar", ".gz", ".zip"}
VENV_MB = 15  # python -m venv: pip and scripts, before any package
_MANIFESTS = ("package.json", "requirements.txt", "pyproject.toml", "go.mod", "pom.xml")
_BUILD_TOOLS = {"go", "mvn", "gradle"}


PartKind = Literal["base", "install", "build", "copy", "context"]


@dataclass(slots=True)
class Part:
    """One counted piece of the image: the base, an install or build step, a copy."""

    kind: PartKind
    label: str  # the instruction it comes from, as written (shortened)
    size_bytes: int | None  # None only for a base image not in the size table
    detail: str  # how it was sized: which packages, which factors
    line: int | None = None


@dataclass(slots=True)
class Estimate:
    size_bytes: int | None
    layers: int
    kind: str = "estimated"
    parts: list[Part] = field(default_factory=list)

    @property
    def basis(self) -> list[str]:
        """The parts as sentences (what earlier artefacts called the basis)."""
        return [f"{p.label}: {p.detail}" for p in self.parts]


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


def _human(mb: float) -> str:
    return f"{mb * 1000:.1f} KB" if mb < 1 else f"{mb:.1f} MB"


def _label(instr: Instruction) -> str:
    text = " ".join(f"{instr.keyword} {instr.rest}".split())
    return text if len(text) <= 80 else text[:77] + "..."


@dataclass(slots=True)
class _Image:
    """The walk over the final image's instructions: what is in it so far."""

    model: Model
    sizes: ProjectSizes
    parts: list[Part] = field(default_factory=list)
    ledger: Ledger = field(default_factory=Ledger)
    manifests: set[str] = field(default_factory=set)
    copied: list[tuple[str, float]] = field(default_factory=list)  # (image path, MB) of context copies
    workdir: str = "/"

    def add(self, kind: PartKind, instr: Instruction, mb: float, detail: str) -> None:
        self.parts.append(Part(kind, _label(instr), int(mb * MB), detail, instr.start_line))

    def copy(self, instr: Instruction, stage: Stage) -> None:
        src = instr.flag("from")
        paths = instr.args[:-1]
        dest = posixpath.normpath(posixpath.join(self.workdir, instr.args[-1])) if instr.args else self.workdir
        if src is not None and src.value:
            self._from(instr, src.value, " ".join(paths), stage)
            return
        context_mb = self.sizes.context_bytes / MB
        for p in paths:
            name = posixpath.basename(p.rstrip("/"))
            self.manifests.update(m for m in _MANIFESTS if p in {".", "./"} or name == m or
                                  (name.endswith("*.json") and m.startswith(name.split("*")[0])))
        if any(s in {".", "./", "/"} or s.endswith("/.") for s in paths):
            self.copied.append((dest, context_mb))
            self.add("context", instr, context_mb, f"the whole build context on disk (.git and .dockerignore'd "
                                                   f"names left out) ≈ {_human(context_mb)}")
        else:
            mb = min(context_mb, 1.0)
            self.copied.append((dest, mb))
            self.add("context", instr, mb, f"{len(paths)} path(s) from the build context, ≤ 1 MB")

    def _from(self, instr: Instruction, source: str, path: str, stage: Stage) -> None:
        from_stage = self.model.stage_by_ref(source, before=stage.index)
        origin = f"stage {source}" if from_stage is not None else f"image {source}"
        name = posixpath.basename(path.rstrip("/"))
        ext = posixpath.splitext(name)[1].lower()
        if path.endswith(".crt") or "/etc/ssl" in path or "zoneinfo" in path:
            self.add("copy", instr, 0.3, f"certificates or time zones from {origin} ≈ 0.3 MB")
        elif "node_modules" in path:
            self._deps(instr, "node-deps", self.sizes.node_deps * NODE_PACKAGE_MB,
                       f"node_modules from {origin} ({self.sizes.node_deps} production dependencies)")
        elif "venv" in path or "site-packages" in path or "/usr/local/lib/python" in path:
            count = 1 if self.sizes.python_deps is None else self.sizes.python_deps
            bare = from_stage is not None and any("--without-pip" in i.rest for i in from_stage.instructions
                                                  if i.keyword == "RUN")
            own = 0.1 if bare else VENV_MB
            self.add("copy", instr, own, f"a virtual environment's own files from {origin} ≈ {own:g} MB"
                                         + (" (made --without-pip)" if bare else " (pip, activate scripts)"))
            self._deps(instr, "python-deps", count * self.sizes.python_package_mb(),
                       f"Python packages from {origin} ({count} dependencies)")
        elif (built := self._go_output(from_stage, path)) is not None:
            self.add("copy", instr, built[0], f"{built[1]}, from {origin}")
        elif ext and ext not in _ARCHIVES and len(instr.args) == 2:
            self.add("copy", instr, 0.1, f"one file from {origin} ≈ 0.1 MB")
        else:
            self.add("copy", instr, ARTIFACT_MB, f"build output (binary, jar or folder) from {origin} ≈ {ARTIFACT_MB} MB")

    def _go_output(self, stage: Stage | None, path: str) -> tuple[float, str] | None:
        """The Go binary a `go build -o <path>` in ``stage`` (or the stages it is built from) wrote."""
        if stage is None or len(path.split()) != 1:
            return None
        for st in self.model.stage_chain(stage):
            for instr in st.instructions:
                if instr.keyword != "RUN" or instr.json_form or not instr.args or "go" not in instr.args[0]:
                    continue
                for call in tool_calls(parse_script(instr.args[0])):
                    outs = call.flag_values("-o") if call.tool == "go" and call.sub in {"build", "install"} else []
                    if any(posixpath.basename(o.rstrip("/")) == posixpath.basename(path.rstrip("/")) for o in outs):
                        return go_binary(call, self.sizes.go_modules)
        return None

    def _deps(self, instr: Instruction, key: str, mb: float, what: str) -> None:
        layer = Layer("", set(), self.sizes, self.ledger, instr.start_line)
        for size, how in layer.project(key, mb, what):
            self.add("copy", instr, size, how)

    def run(self, instr: Instruction) -> None:
        script = instr.args[0]
        layer = Layer(script, set(cache_targets(instr)), self.sizes, self.ledger, instr.start_line, self.manifests,
                      self.model.vars_at(instr))
        calls = tool_calls(parse_script(script))
        for call in calls:
            layer.removed.update(expand_words(removed_packages(call), layer))
        for call in calls:
            size = sizer(call)
            for mb, how in (size(call, layer) if size is not None else []):
                self.add("build" if call.tool in _BUILD_TOOLS else "install", instr, mb, how)
            if call.tool in {"chmod", "chown"} and call.has("-R", "--recursive"):
                self._copy_up(instr, call.positional())

    def _copy_up(self, instr: Instruction, targets: list[str]) -> None:
        """chmod/chown -R rewrites every file it touches into the new layer: the copied bytes count again."""
        for target in targets:
            path = posixpath.normpath(posixpath.join(self.workdir, target))
            mb = sum(m for dest, m in self.copied if dest == path or dest.startswith(path.rstrip("/") + "/"))
            if mb:
                self.add("context", instr, mb, f"files under {path} copied again by a recursive "
                                               f"chmod/chown ≈ {_human(mb)}")


def estimate(df: Dockerfile, model: Model, sizes: ProjectSizes) -> Estimate:
    """Estimate the final image of ``df``, part by part."""
    stage = model.final_stage
    if stage is None:
        return Estimate(size_bytes=None, layers=0, parts=[Part("base", "(no stages)", None, "no FROM")])
    chain = model.stage_chain(stage)
    base = chain[0].base_resolved or chain[0].base
    base_bytes = base_image_bytes(base)
    image = _Image(model, sizes)
    image.parts.append(Part("base", f"FROM {base}", base_bytes, (
        f"base image {base} is not in the size table ({SIZE_TABLE_DATE}): size unknown" if base_bytes is None
        else f"base image {base} ≈ {base_bytes / MB:.0f} MB (size table {SIZE_TABLE_DATE})"),
        chain[0].from_instr.start_line))
    layers = 0
    for st in chain:
        for instr in st.instructions:
            if instr.keyword == "WORKDIR" and instr.args:
                image.workdir = posixpath.normpath(posixpath.join(image.workdir, instr.args[0]))
            elif instr.keyword in {"COPY", "ADD"}:
                layers += 1
                image.copy(instr, st)
            elif instr.keyword == "RUN":
                layers += 1
                if not instr.json_form and instr.args:
                    image.run(instr)
    size = None if base_bytes is None else sum(p.size_bytes or 0 for p in image.parts)
    return Estimate(size_bytes=size, layers=layers, parts=image.parts)


class _Sized(Protocol):  # a Part, or the EstimatePart a run stored
    @property
    def kind(self) -> str: ...
    @property
    def label(self) -> str: ...
    @property
    def size_bytes(self) -> int | None: ...


def base_ref(parts: Sequence[_Sized]) -> str | None:
    """The base image an estimate counted (its first part), or None."""
    return parts[0].label.removeprefix("FROM ") if parts and parts[0].kind == "base" else None


def on_base(parts: Sequence[_Sized], base_bytes: int) -> int:
    """The estimate with its base part replaced by ``base_bytes``: what it says of an image built on another
    base of known size (a stand-in), so that it can be compared with that build."""
    return base_bytes + sum(p.size_bytes or 0 for p in parts if p.kind != "base")


def error_pct(estimated: int, measured: int) -> float | None:
    """How far an estimate is from a measured size, in percent of the measured size (+ = too big)."""
    return round(100.0 * (estimated - measured) / measured, 1) if measured else None
