"""What one package-manager or build-tool call leaves in its layer, for the size estimate.

Two rules keep the estimate from counting the same bytes twice (the cause of the old double counts):

- **Named packages are charged for those packages.** ``npm install -g pnpm`` or ``pnpm add a b c`` adds
  the packages it names, not the project's whole dependency list; the project's dependencies come in only
  with an install *of the project* (``npm ci``, a bare ``pnpm install``, ``pip install -r``/``pip install .``,
  ``go mod download``, ``go build``), or with a named install run where the project's manifest already is.
- **Project-wide things are charged once per image** (the ``Ledger``): the installed dependencies of one
  ecosystem, a tool's download or build cache. A second ``go build`` or a ``go mod download`` followed
  by ``go build`` adds its own binary, not the module and build caches again.

Each sizer returns ``(MB, how)`` items; ``how`` says which packages and which factors were counted.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from codi.rules.cd.commands import ToolCall, installed_packages

# Heuristic sizes in MB (documented in docs/estimates.md).
APT_PACKAGE_MB = 8
APT_BIG_MB = {"build-essential": 220, "gcc": 60, "g++": 55, "clang": 300, "git": 45, "default-jdk": 300,
              "openjdk-17-jdk": 300, "python3-dev": 40, "nodejs": 80, "npm": 60, "postgresql-client": 20}
APT_LISTS_MB = 45
APK_PACKAGE_MB = 3
RPM_PACKAGE_MB = 12
RPM_CACHE_MB = 100
PIP_PACKAGE_MB = 12  # a direct dependency, with the packages it pulls in
# One line of a frozen requirements file (every package pinned, its own dependencies listed too): most are
# small pure-Python packages (demo/python's 14 FastAPI and uvicorn packages weigh about 19 MB installed,
# 5 MB of it pydantic-core).
PIP_FROZEN_PACKAGE_MB = 3
NODE_PACKAGE_MB = 2.5
GO_MODULE_MB = 3
# Go >= 1.20 compiles the standard library into the build cache: ~55 MB for net/http and what it imports
# (the compiled std archives of Go 1.19, measured in the golang stand-in).
GO_BUILD_CACHE_MB = 60
GO_BINARY_MB = 6.0  # a net/http server, not stripped (7.7 MB measured for demo/go, 4.5 MB with -s -w)
GO_BINARY_PER_MODULE_MB = 0.5
GO_STRIPPED = 0.7  # -ldflags="-s -w" drops the symbol table and DWARF
MAVEN_REPO_MB = 150
ARTIFACT_MB = 15  # a compiled binary or jar

Sized = tuple[float, str]


@dataclass(slots=True)
class ProjectSizes:
    """What the project folder tells about dependency counts and context size (None: no manifest read)."""

    context_bytes: int = 0
    python_deps: int | None = None
    python_frozen: bool = False  # requirements pin every package (pip freeze): one line, one package

    def python_package_mb(self) -> float:
        """What one of the project's Python dependencies weighs, installed."""
        return PIP_FROZEN_PACKAGE_MB if self.python_frozen else PIP_PACKAGE_MB
    node_deps: int = 0
    node_dev_deps: int = 0
    go_modules: int = 0


@dataclass(slots=True)
class Ledger:
    """What has been charged so far in one image: key -> the line that charged it."""

    charged: dict[str, tuple[int | None, float]] = field(default_factory=dict)  # key -> (line, MB)

    def once(self, key: str, line: int | None, mb: float = 0.0) -> tuple[int | None, float] | None:
        """None the first time ``key`` is charged (it is charged now); else (line, MB) of that charge."""
        if key in self.charged:
            return self.charged[key]
        self.charged[key] = (line, mb)
        return None


@dataclass(slots=True)
class Layer:
    """What a RUN's sizers read: its script, cache mounts and line, the project and the image so far."""

    script: str
    cache_mounts: set[str]
    sizes: ProjectSizes
    ledger: Ledger
    line: int | None = None
    manifests: set[str] = field(default_factory=set)  # manifest names already copied into the image
    env: Mapping[str, str | None] = field(default_factory=dict)  # ENV/ARG values in force at this RUN
    removed: set[str] = field(default_factory=set)  # system packages a remove/purge in this RUN takes out

    def variable(self, name: str) -> str | None:
        """A shell variable's value: the script's own last ``NAME=value`` before use, else ENV/ARG."""
        found = re.findall(rf"(?:^|[\s;&|(]){name}=(\"[^\"]*\"|'[^']*'|[^\s;&|]*)", self.script)
        if found:
            value: str = found[-1]
            return value.strip("\"'")
        return self.env.get(name)

    def cached(self, *names: str) -> bool:
        return any(name in m for m in self.cache_mounts for name in names)

    def project(self, key: str, mb: float, what: str) -> list[Sized]:
        """The project's dependencies (or a tool's cache) of one kind, charged once per image; a repeat
        is listed at 0 MB, saying where it was counted (unless that was nothing)."""
        earlier = self.ledger.once(key, self.line, mb)
        if earlier is None:
            return [(mb, f"{what} ≈ {mb:.0f} MB")]
        line, first = earlier
        return [(0.0, f"{what}: already counted" + (f" (line {line})" if line else ""))] if first else []


Sizer = Callable[[ToolCall, Layer], list[Sized]]


def expand_words(pkgs: list[str], layer: Layer) -> list[str]:
    """Package words with ``$NAME``/``${NAME}`` replaced by the words the script or the Dockerfile assigns
    (``RUN_DEPS="libpq5 procps" ... apt-get install $RUN_DEPS`` installs two packages, not one)."""
    out: list[str] = []
    for pkg in pkgs:
        m = re.fullmatch(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?", pkg)
        value = layer.variable(m.group(1)) if m else None
        out += value.split() if value is not None and value.strip() else [pkg]
    return out


def _kept(pkgs: list[str], layer: Layer) -> tuple[list[str], str]:
    """The packages still there at the end of the RUN (a later purge in the same RUN leaves nothing)."""
    gone = [p for p in pkgs if p in layer.removed]
    return [p for p in pkgs if p not in layer.removed], (f"; {len(gone)} removed again in the same RUN" if gone else "")


def _apt_install(call: ToolCall, layer: Layer) -> list[Sized]:
    pkgs, gone = _kept(expand_words(installed_packages(call), layer), layer)
    mb = float(sum(APT_BIG_MB.get(p, APT_PACKAGE_MB) for p in pkgs))
    return [(mb, f"apt install of {len(pkgs)} package(s) ({', '.join(pkgs)}){gone} ≈ {mb:.0f} MB")]


def _apt_update(call: ToolCall, layer: Layer) -> list[Sized]:
    if "/var/lib/apt/lists" in layer.script or layer.cached("/var/lib/apt"):
        return []
    return [(APT_LISTS_MB, f"apt package lists left in the layer ≈ {APT_LISTS_MB} MB")]


def _apk_add(call: ToolCall, layer: Layer) -> list[Sized]:
    pkgs, gone = _kept(expand_words(installed_packages(call), layer), layer)
    if any(v in layer.removed for v in call.flag_values("--virtual", "-t")):  # apk add --virtual .x ... && apk del .x
        pkgs, gone = [], f"; the virtual package {call.flag_values('--virtual', '-t')[0]} is removed again in the same RUN"
    mb = APK_PACKAGE_MB * len(pkgs) + (0 if call.has("--no-cache") else 2)
    return [(mb, f"apk add of {len(pkgs)} package(s) ({', '.join(pkgs)}){gone}"
                 + ("" if call.has("--no-cache") else ", index cache left (+2 MB)") + f" ≈ {mb:.0f} MB")]


def _rpm_install(call: ToolCall, layer: Layer) -> list[Sized]:
    pkgs, gone = _kept(expand_words(installed_packages(call), layer), layer)
    mb = RPM_PACKAGE_MB * len(pkgs) + (0 if "clean all" in layer.script else RPM_CACHE_MB)
    return [(mb, f"{call.tool} install of {len(pkgs)} package(s) ({', '.join(pkgs)}){gone}"
                 + ("" if "clean all" in layer.script else f", cache left (+{RPM_CACHE_MB} MB)") + f" ≈ {mb:.0f} MB")]


_PROJECT_ARGS = (".", "./")


def _is_path(word: str) -> bool:
    return word in _PROJECT_ARGS or word.startswith(("./", "/", "../")) or word.endswith((".whl", ".tar.gz", ".zip"))


def _pip_install(call: ToolCall, layer: Layer) -> list[Sized]:
    factor = 1.0 if call.has("--no-cache-dir", "--no-cache") or layer.cached("pip", "uv") else 2.0
    cache = f", {'uv' if call.tool == 'uv-pip' else 'pip'} cache left in the layer (x2)" if factor > 1 else ""
    named = [w for w in call.positional() if not _is_path(w)]
    project = bool(call.flag_values("-r", "--requirement")) or any(_is_path(w) for w in call.positional()) \
        or any(_is_path(w) for w in call.flag_values("-e", "--editable"))
    out: list[Sized] = []
    if project:
        deps = layer.sizes.python_deps
        count = 1 if deps is None else deps
        source = "requirements.txt/pyproject" if deps is not None else "no manifest read, assumed 1"
        frozen = ", frozen: one package each" if layer.sizes.python_frozen else ""
        out += layer.project("python-deps", count * layer.sizes.python_package_mb() * factor,
                             f"the project's Python dependencies ({count} from {source}{frozen}){cache}")
    if named:
        mb = len(named) * PIP_PACKAGE_MB * factor
        out.append((mb, f"pip install of {len(named)} named package(s) ({', '.join(named)}){cache} ≈ {mb:.0f} MB"))
    return out


def _python_project(call: ToolCall, layer: Layer) -> list[Sized]:
    """poetry install, pipenv install (no package named), uv sync: the project's dependencies."""
    if call.tool == "pipenv" and call.positional():
        named = call.positional()
        mb = len(named) * PIP_PACKAGE_MB
        return [(mb, f"pipenv install of {len(named)} named package(s) ≈ {mb:.0f} MB")]
    count = layer.sizes.python_deps if layer.sizes.python_deps is not None else 1
    return layer.project("python-deps", count * layer.sizes.python_package_mb(),
                         f"the project's Python dependencies ({count}, {call.tool} {call.sub})")


def _node_install(call: ToolCall, layer: Layer) -> list[Sized]:
    cache = not layer.cached("npm", "yarn", "pnpm") and "cache clean" not in layer.script \
        and "store prune" not in layer.script
    factor = 1.5 if cache else 1.0
    cache_note = ", package manager cache left in the layer (x1.5)" if cache else ""
    named = call.positional()
    global_ = call.has("-g", "--global") or call.sub == "global"
    if call.sub == "global":  # yarn global add x
        named = named[1:]
    out: list[Sized] = []
    if named:
        mb = len(named) * NODE_PACKAGE_MB * factor
        where = "global " if global_ else ""
        out.append((mb, f"{call.tool} {where}{call.sub} of {len(named)} named package(s) ({', '.join(named)})"
                        f"{cache_note} ≈ {mb:.0f} MB"))
    # The project's dependencies: an install with no package named, or a local one next to package.json.
    if not global_ and (not named or "package.json" in layer.manifests):
        prod_only = call.has("--omit=dev", "--production", "--prod", "--only=production") \
            or (call.prefix_env().get("NODE_ENV") or layer.env.get("NODE_ENV")) == "production"
        deps = layer.sizes.node_deps + (0 if prod_only else layer.sizes.node_dev_deps)
        scope = "production " if prod_only else ""
        out += layer.project("node-deps", deps * NODE_PACKAGE_MB * factor,
                             f"node_modules with the project's {deps} {scope}dependencies{cache_note}")
    return out


def go_binary(call: ToolCall, modules: int) -> Sized:
    """The binary a ``go build``/``go install`` writes: grows with the modules it links, smaller stripped."""
    values = call.flag_values("-ldflags", "--ldflags") + [w.split("=", 1)[1] for w in call.rest
                                                          if w.startswith("-ldflags=")]  # Go's -flag=value
    stripped = any("-s" in v.split() and "-w" in v.split() for v in values)
    mb = (GO_BINARY_MB + GO_BINARY_PER_MODULE_MB * modules) * (GO_STRIPPED if stripped else 1.0)
    how = f"{GO_BINARY_MB:g} MB + {GO_BINARY_PER_MODULE_MB:g} MB per module ({modules})" + (
        f", stripped by -ldflags=\"-s -w\" (x{GO_STRIPPED:g})" if stripped else "")
    return mb, f"a Go binary: {how} ≈ {mb:.1f} MB"


def _go(call: ToolCall, layer: Layer) -> list[Sized]:
    out: list[Sized] = []
    named = [w for w in call.positional() if "@" in w]  # go install tool@version: not the project's modules
    mods = layer.sizes.go_modules
    if not named and not layer.cached("pkg/mod"):
        out += layer.project("go-modules", mods * GO_MODULE_MB, f"Go module cache ({mods} module(s) in go.sum)")
    if call.sub in {"build", "install"}:
        if not layer.cached("go-build", ".cache"):
            out += layer.project("go-build-cache", GO_BUILD_CACHE_MB, "Go build cache left in the layer "
                                 "(the standard library compiled for a typical server)")
        mb, how = go_binary(call, 0 if named else mods)
        out.append((mb, f"installed tool {', '.join(named)}: {how}" if named else how))
    return out


_JVM_PACKAGING = {"package", "install", "verify", "build", "bootJar", "jar", "assemble", "shadowJar", "war"}


def _jvm_build(call: ToolCall, layer: Layer) -> list[Sized]:
    out: list[Sized] = []
    if not layer.cache_mounts:
        out += layer.project(f"{call.tool}-repository", MAVEN_REPO_MB, f"{call.tool} dependency cache")
    if _JVM_PACKAGING & set(call.operands()):
        out.append((ARTIFACT_MB, f"the built jar ≈ {ARTIFACT_MB} MB"))
    return out


# (subcommands or None for any) -> sizer, per tool name as codi.rules.cd.commands normalises them.
_NODE_SUBS = frozenset({"install", "ci", "i", "add", "global"})
SIZERS: dict[str, tuple[frozenset[str] | None, Sizer]] = {
    "apt-get:install": (frozenset({"install"}), _apt_install),
    "apt-get:update": (frozenset({"update"}), _apt_update),
    "apk": (frozenset({"add"}), _apk_add),
    "yum": (frozenset({"install"}), _rpm_install),
    "dnf": (frozenset({"install"}), _rpm_install),
    "microdnf": (frozenset({"install"}), _rpm_install),
    "zypper": (frozenset({"install", "in"}), _rpm_install),
    "pip": (frozenset({"install"}), _pip_install),
    "uv-pip": (frozenset({"install"}), _pip_install),
    "poetry": (frozenset({"install"}), _python_project),
    "pipenv": (frozenset({"install", "sync"}), _python_project),
    "uv": (frozenset({"sync"}), _python_project),
    "npm": (_NODE_SUBS, _node_install),
    "yarn": (_NODE_SUBS | {""}, _node_install),  # a bare `yarn` installs the project
    "pnpm": (_NODE_SUBS, _node_install),
    "go": (frozenset({"build", "mod", "install"}), _go),
    "mvn": (None, _jvm_build),
    "gradle": (None, _jvm_build),
}


def sizer(call: ToolCall) -> Sizer | None:
    if call.tool == "go" and call.sub == "mod" and call.positional()[:1] != ["download"]:
        return None  # go mod tidy/init/verify download nothing the build would not
    for key in (f"{call.tool}:{call.sub}", call.tool):
        entry = SIZERS.get(key)
        if entry is not None and (entry[0] is None or call.sub in entry[0]):
            return entry[1]
    return None
