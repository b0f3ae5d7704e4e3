"""CD103: compilers and -dev packages installed in the final image."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from codi.parser.expand import expand
from codi.rules.base import Finding, Rule, RuleContext, Severity
from codi.rules.cd.commands import ToolCall, installed_packages, removed_packages, strip_version, tool_calls
from codi.rules.cd.stages import development_image, image_stages
from codi.rules.registry import register

_TOOLS = frozenset({
    "gcc", "g++", "gcc-c++", "cpp", "c++", "make", "cmake", "build-essential", "build-base", "clang",
    "llvm", "autoconf", "automake", "libtool", "pkg-config", "pkgconf", "pkgconfig", "gfortran",
    "musl-dev", "linux-headers", "libc6-dev", "libc-dev", "glibc-devel", "ninja-build", "bison",
    "flex", "development tools", "@development-tools", "rust", "cargo", "golang", "go",
})
_VERSIONED = re.compile(r"^(gcc|g\+\+|clang|llvm|cpp)-\d+(\.\d+)*$")
_DEV = re.compile(r"^[a-z0-9][a-z0-9.+_-]*-(dev|devel|headers)$")


def is_build_package(pkg: str) -> bool:
    name = pkg.lower()
    if ":" in name:  # libc6-dev:amd64
        name = name.split(":", 1)[0]
    return name in _TOOLS or bool(_VERSIONED.match(name)) or bool(_DEV.match(name))


def _expanded(ctx: RuleContext, env: Mapping[str, str | None], pkgs: list[str]) -> list[str]:
    """Package words with ARG/ENV values substituted (``$BUILD_DEPS`` -> its packages)."""
    out: list[str] = []
    for p in pkgs:
        if "$" in p:
            value = expand(p, env, ctx.dockerfile.escape)
            out += [strip_version(w) for w in value.split()]
        else:
            out.append(p)
    return out


def _purges_everything_new(calls: list[ToolCall]) -> bool:
    """The official-images idiom: ``apt-mark auto '.*'; apt-mark manual $saved; apt-get purge
    --auto-remove`` removes every package this RUN installed."""
    marks = any(c.tool == "apt-mark" and c.sub == "auto" for c in calls)
    purge = any(
        c.tool == "apt-get" and (c.sub == "autoremove" or (c.sub in ("purge", "remove") and c.has("--auto-remove")))
        for c in calls
    )
    return marks and purge


@register
class BuildToolsInFinalImage(Rule):
    """Compilers, build tools or `-dev` headers installed in the final image.

    ## What it does
    Reports `apt-get`/`apt`, `apk`, `yum`, `dnf`, `microdnf` and `zypper` installs in the final
    image (the last stage and the stages it is built `FROM`) that bring in compilers and build
    tools (`gcc`, `g++`, `make`, `cmake`, `build-essential`, `build-base`, `clang`, `autoconf`,
    `pkg-config`, ...) or development headers (`*-dev`, `*-devel`, `musl-dev`, `linux-headers`).
    Package lists held in `ARG`/`ENV` values (`apt-get install $BUILD_DEPS`) are expanded.

    Packages that the same `RUN` removes again (`apt-get purge`, `apk del` of an
    `apk add --virtual` group, `yum remove`, or the official images' idiom
    `apt-mark auto '.*'; apt-mark manual $saved; apt-get purge --auto-remove`) are not reported; ones removed by a later `RUN` are
    left to CD102, since that removal saves nothing.

    Development images (`Dockerfile.dev`, `.devcontainer/Dockerfile`, a final stage named `dev`;
    see CD303) are skipped: they are meant to carry compilers.

    ## Why is this bad?
    Compilers and headers are needed to *build* native code, not to run it. They add 100-300 MB,
    and a compiler in a production container makes an attacker's life easier. A multi-stage build
    compiles in a builder stage and copies only the result (a binary, a wheel house, a
    `node_modules` folder) into a runtime stage that never had the tools.

    ## Example
    ```dockerfile
    FROM python:3.12-slim
    RUN apt-get update && apt-get install -y --no-install-recommends gcc libpq-dev \\
        && rm -rf /var/lib/apt/lists/*
    RUN pip install --no-cache-dir -r requirements.txt
    ```

    ## Use instead
    ```dockerfile
    FROM python:3.12-slim AS build
    RUN apt-get update && apt-get install -y --no-install-recommends gcc libpq-dev
    RUN pip wheel --wheel-dir /wheels -r requirements.txt

    FROM python:3.12-slim
    RUN apt-get update && apt-get install -y --no-install-recommends libpq5 \\
        && rm -rf /var/lib/apt/lists/*
    COPY --from=build /wheels /wheels
    RUN pip install --no-cache-dir /wheels/*
    ```

    ## References
    - [Docker: multi-stage builds](https://docs.docker.com/build/building/multi-stage/)
    """

    code = "CD103"
    name = "build-tools-in-final-image"
    severity = Severity.WARNING

    def check(self, ctx: RuleContext) -> Iterable[Finding]:
        if development_image(ctx):
            return
        runs = []
        for stage in image_stages(ctx.model):
            for instr in stage.instructions:
                script = ctx.script(instr)
                if script is not None:
                    runs.append((instr, ctx.model.vars_at(instr), tool_calls(script)))
        removed_at = [
            {p for call in calls for p in _expanded(ctx, env, removed_packages(call))} for _, env, calls in runs
        ]
        for n, (instr, env, calls) in enumerate(runs):
            if _purges_everything_new(calls):
                continue
            removed = set().union(*removed_at[n:])  # here or later (later: CD102's business)
            found: list[str] = []
            for call in calls:
                virtual = call.flag_values("--virtual", "-t") if call.tool == "apk" else []
                if any(v in removed for v in virtual):
                    continue
                pkgs = _expanded(ctx, env, installed_packages(call))
                if call.sub == "groupinstall":
                    pkgs = [" ".join(call.positional()).lower()]
                found += [p for p in pkgs if is_build_package(p) and p not in removed]
            if found:
                unique = list(dict.fromkeys(found))
                shown = ", ".join(unique[:6]) + (" ..." if len(unique) > 6 else "")
                yield self.finding(
                    ctx, instr,
                    f"build tools in the final image ({shown}); compile in a build stage and copy only the result",
                )
