"""Stand-in base images built from Debian packages, for machines without a registry.

``bootstrap()`` runs ``mmdebstrap --variant=minbase`` plus a language runtime, commits the tarball as a
local image with the engine, and writes ``<cache>/bases.toml``: the base map from the public names the
demos and templates use to those local images. Tarballs and images are reused while their package
list is unchanged, so a second run is fast. ``scratch`` needs no stand-in.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from codi.build.basemap import cache_dir
from codi.build.engine import Engine, EngineError, run_cmd, tail

_PY = [f"3.{n}" for n in range(8, 14)] + ["3"]
_NODE = ["18", "20", "22", "lts", "current"]
_GO = ["1.20", "1.21", "1.22", "1.23", "1.24", "1"]


@dataclass(frozen=True, slots=True)
class StandIn:
    key: str
    group: str  # what --only selects: python, node, go, java, debian
    packages: tuple[str, ...]
    names: tuple[str, ...]  # image references (or patterns) this stand-in serves
    hooks: tuple[str, ...] = ()  # mmdebstrap customize hooks ($1 = the root)
    changes: tuple[str, ...] = ()  # image config: env=..., user=..., cmd=...
    notes: tuple[str, ...] = field(default=())


_PATH = "env=PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
# Official python images have no PEP 668 marker: `pip install` outside a venv must work as it does there.
_NO_PEP668 = 'rm -f "$1"/usr/lib/python3*/EXTERNALLY-MANAGED'
_NODE_USER = 'chroot "$1" useradd --create-home --uid 1000 --user-group --shell /bin/bash node'
_BUILD = ("build-essential", "git", "ca-certificates", "curl")

STANDINS: tuple[StandIn, ...] = (
    StandIn("debian-slim", "debian", ("ca-certificates",),
            ("debian:*-slim", "debian:bookworm", "debian:12", "debian")),
    StandIn("python-slim", "python", ("python3", "python3-venv", "python3-pip", "python-is-python3"),
            tuple(f"python:{v}-slim*" for v in _PY) + ("python:slim*",), (_NO_PEP668,), (_PATH, "cmd=python3")),
    StandIn("python", "python", ("python3", "python3-venv", "python3-pip", "python3-dev", "python-is-python3", *_BUILD),
            tuple(f"python:{v}" for v in _PY) + tuple(f"python:{v}-bookworm" for v in _PY) + ("python", "python:latest"),
            (_NO_PEP668,), (_PATH, "cmd=python3")),
    StandIn("node-slim", "node", ("nodejs", "npm"),
            tuple(f"node:{v}-slim*" for v in _NODE) + ("node:slim*",), (_NODE_USER,), (_PATH, "cmd=node")),
    StandIn("node", "node", ("nodejs", "npm", "python3", *_BUILD),
            tuple(f"node:{v}" for v in _NODE) + tuple(f"node:{v}-bookworm" for v in _NODE) + ("node", "node:latest"),
            (_NODE_USER,), (_PATH, "cmd=node")),
    StandIn("golang", "go", ("golang-go", "gcc", "libc6-dev", "git", "ca-certificates"),
            tuple(f"golang:{v}" for v in _GO) + tuple(f"golang:{v}-bookworm" for v in _GO) + ("golang", "golang:latest"),
            (), (_PATH, "env=GOPATH=/go", "workingdir=/go")),
    StandIn("temurin-jre", "java", ("openjdk-17-jre-headless", "ca-certificates"),
            ("eclipse-temurin:*-jre*",), (), (_PATH,)),
    StandIn("maven", "java", ("maven", "openjdk-17-jdk-headless", "ca-certificates"),
            ("maven:*", "eclipse-temurin:*-jdk*"), (), (_PATH,)),
)
GROUPS = sorted({s.group for s in STANDINS})


_PREFIX = "localhost/codi-standin/"


def image_ref(standin: StandIn, suite: str) -> str:
    return f"{_PREFIX}{standin.key}:{suite}"


def describe(ref: str) -> str | None:
    """What a stand-in image holds, for reports ("Debian bookworm minbase + python3, ..."); None for others."""
    if not ref.startswith(_PREFIX):
        return None
    key, _, suite = ref[len(_PREFIX):].partition(":")
    for standin in STANDINS:
        if standin.key == key:
            return f"Debian {suite or 'stable'} minbase + {', '.join(standin.packages)}"
    return None


def apt_mirror(sources_dir: Path = Path("/etc/apt")) -> tuple[str, str]:
    """(mirror URI, suite) of the machine's main Debian source (not security, not updates)."""
    texts = []
    for path in [sources_dir / "sources.list", *sorted((sources_dir / "sources.list.d").glob("*"))]:
        if path.is_file():
            texts.append(path.read_text(encoding="utf-8", errors="replace"))
    text = "\n".join(texts)
    uris = re.findall(r"^URIs:\s*(\S+)", text, re.MULTILINE) + re.findall(
        r"^deb\s+(?:\[[^\]]*\]\s+)?(\S+)", text, re.MULTILINE)
    suites = re.findall(r"^Suites:\s*(\S+)", text, re.MULTILINE) + re.findall(
        r"^deb\s+(?:\[[^\]]*\]\s+)?\S+\s+(\S+)", text, re.MULTILINE)
    mirror = next((u for u in uris if "security" not in u), "http://deb.debian.org/debian")
    suite = next((s for s in suites if "-" not in s), "bookworm")
    return mirror, suite


def _stamp(standin: StandIn, mirror: str, suite: str) -> str:
    text = "|".join([mirror, suite, *standin.packages, *standin.hooks, *standin.changes])
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def selected(only: list[str] | None) -> list[StandIn]:
    if not only:
        return list(STANDINS)
    unknown = sorted(set(only) - set(GROUPS))
    if unknown:
        raise ValueError(f"unknown base group(s): {', '.join(unknown)} (choose from {', '.join(GROUPS)})")
    return [s for s in STANDINS if s.group in only]


def _mmdebstrap(standin: StandIn, mirror: str, suite: str, tarball: Path, timeout: float) -> None:
    if shutil.which("mmdebstrap") is None:
        raise EngineError("`mmdebstrap` is not on PATH (Debian: apt-get install -y mmdebstrap)")
    mode = "root" if os.geteuid() == 0 else "unshare"
    args = ["mmdebstrap", "--variant=minbase", f"--mode={mode}", "--include=" + ",".join(standin.packages),
            "--dpkgopt=path-exclude=/usr/share/doc/*", "--dpkgopt=path-exclude=/usr/share/man/*",
            "--aptopt=APT::Install-Recommends \"false\""]
    args += [f"--customize-hook={hook}" for hook in standin.hooks]
    partial = tarball.with_suffix(".partial.tar")
    proc = run_cmd([*args, suite, str(partial), mirror], timeout)
    if proc.rc != 0:
        partial.unlink(missing_ok=True)
        raise EngineError(f"mmdebstrap failed for {standin.key} (exit {proc.rc})", tail(proc.output))
    partial.replace(tarball)


def bootstrap(engine: Engine, only: list[str] | None = None, timeout: float = 1800.0,
              log: list[str] | None = None) -> dict[str, str]:
    """Build (or reuse) the stand-ins; write and return the base map they serve."""
    mirror, suite = apt_mirror()
    root = cache_dir()
    root.mkdir(parents=True, exist_ok=True)
    notes = log if log is not None else []
    for standin in selected(only):
        ref = image_ref(standin, suite)
        tarball = root / f"{standin.key}-{suite}.tar"
        stamp = root / f"{standin.key}-{suite}.stamp"
        want = _stamp(standin, mirror, suite)
        fresh = tarball.is_file() and stamp.is_file() and stamp.read_text().strip() == want
        if fresh and engine.exists(ref):
            notes.append(f"{ref}: cached")
            continue
        if not fresh:
            _mmdebstrap(standin, mirror, suite, tarball, timeout)
            stamp.write_text(want + "\n")
        engine.remove([ref])
        engine.import_rootfs(tarball, ref, list(standin.changes))
        notes.append(f"{ref}: built from {suite} ({', '.join(standin.packages)})")
    return write_map(engine, suite)


def write_map(engine: Engine, suite: str) -> dict[str, str]:
    """The map for every stand-in whose image exists, written to ``<cache>/bases.toml``."""
    mapping: dict[str, str] = {}
    lines = ["# Written by `codi bases bootstrap`: stand-in images made from Debian packages.", "[bases]"]
    for standin in STANDINS:
        ref = image_ref(standin, suite)
        if not engine.exists(ref):
            continue
        lines.append(f"# {standin.key}: minbase + {', '.join(standin.packages)}")
        for name in standin.names:
            mapping[name] = ref
            lines.append(f'"{name}" = "{ref}"')
    path = cache_dir() / "bases.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return mapping
