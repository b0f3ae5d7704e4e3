"""CD201 (whole context copied before installing dependencies) and CD203 (apt-get update in its own RUN)."""

from __future__ import annotations

from collections.abc import Iterable

from codi.parser.model import Instruction
from codi.rules.base import Finding, Rule, RuleContext, Severity
from codi.rules.cd.cachespec import cache_mounts
from codi.rules.cd.commands import SYSTEM_INSTALL, ToolCall, tool_calls
from codi.rules.cd.stages import whole_context
from codi.rules.registry import register

# What to copy first, per ecosystem.
MANIFESTS = {
    "node": "package.json and the lockfile, then install",
    "python": "the requirements file / pyproject.toml and lockfile, then install",
    "go": "go.mod and go.sum, then `go mod download`",
    "maven": "pom.xml, then `mvn dependency:go-offline`",
    "gradle": "the build.gradle/settings.gradle files, then `gradle dependencies`",
    "rust": "Cargo.toml and Cargo.lock, then `cargo fetch`",
    "ruby": "Gemfile and Gemfile.lock, then `bundle install`",
    "php": "composer.json and composer.lock, then `composer install`",
    "dotnet": "the *.csproj/*.sln files, then `dotnet restore`",
}
# Ecosystems whose build step must see the sources anyway; with a cache mount they do not re-download.
_COMPILED = {"go", "maven", "gradle", "rust", "dotnet"}


def dependency_install(call: ToolCall) -> str | None:
    """The ecosystem whose dependencies ``call`` downloads and installs, or None."""
    tool, sub = call.tool, call.sub
    if sub in SYSTEM_INSTALL.get(tool, ()):
        return "system"
    if tool == "npm" and sub in ("install", "i", "ci") and not call.positional():
        return None if call.has("-g", "--global") else "node"
    if (tool == "yarn" and sub in ("", "install")) or (tool == "pnpm" and sub in ("install", "i")):
        return "node"
    if tool in ("pip", "uv-pip") and sub == "install":
        if call.has("-r", "--requirement") or any(p in (".", "./") or p.startswith((".[", "./[")) for p in
                                                     call.positional() + call.flag_values("-e", "--editable")):
            return "python"
        return None
    if (tool, sub) in {("poetry", "install"), ("uv", "sync"), ("pipenv", "install"), ("pipenv", "sync"),
                       ("pdm", "install"), ("pdm", "sync")}:
        return "python"
    if tool == "go" and (sub in ("build", "install", "test", "get", "generate") or (
            sub == "mod" and call.positional()[:1] == ["download"])):
        return "go"
    if tool == "mvn" and sub:
        return "maven"
    if tool == "gradle" and sub and sub not in ("--version", "wrapper"):
        return "gradle"
    if tool == "cargo" and (sub in ("build", "fetch", "install", "test") or call.positional()[:1] == ["cook"]):
        return "rust"  # `cargo chef cook` builds the dependencies from a recipe
    if tool == "bundle" and sub == "install":
        return "ruby"
    if tool == "composer" and sub == "install":
        return "php"
    if tool == "dotnet" and sub in ("restore", "publish", "build"):
        return "dotnet"
    return None


@register
class ContextCopiedBeforeInstall(Rule):
    """The whole build context is copied before dependencies are installed.

    ## What it does
    Within each stage, reports `COPY . <dir>` / `ADD . <dir>` that comes *before* the stage's
    first dependency install of an ecosystem: `npm install`/`npm ci`, `yarn`, `pnpm install`,
    `pip install -r ...`/`pip install .`, `poetry install`, `uv sync`, `pipenv install`,
    `go mod download`/`go build`, `mvn ...`, `gradle ...`, `cargo build`, `bundle install`,
    `composer install`, `dotnet restore/publish`, and system packages (`apt-get install`,
    `apk add`, `yum/dnf install`), which never depend on the sources at all. When the stage (or a stage it is built `FROM`)
    already installed that ecosystem's dependencies before the copy, later installs (of the
    project itself) are fine. For compiled ecosystems (Go, Maven, Gradle, Cargo, .NET), a build
    `RUN` with a `--mount=type=cache` keeps its downloads across rebuilds and is not reported.

    ## Why is this bad?
    A layer's cache is reused only when its inputs are unchanged. `COPY . .` changes whenever
    any source file changes, so every later instruction runs again: each edit of one line
    re-downloads and re-installs every dependency, which turns a seconds-long rebuild into minutes
    and hammers package registries from CI. Copying only the dependency manifests first keeps the
    install layer cached until the dependencies themselves change.

    ## Example
    ```dockerfile
    FROM node:20-slim
    WORKDIR /app
    COPY . .
    RUN npm ci --omit=dev
    CMD ["node", "server.js"]
    ```

    ## Use instead
    ```dockerfile
    FROM node:20-slim
    WORKDIR /app
    COPY package.json package-lock.json ./
    RUN npm ci --omit=dev
    COPY . .
    CMD ["node", "server.js"]
    ```

    ## References
    - [Docker: optimize cache usage, order your layers](https://docs.docker.com/build/cache/optimize/#order-your-layers)
    """

    code = "CD201"
    name = "context-copied-before-install"
    severity = Severity.WARNING

    def check(self, ctx: RuleContext) -> Iterable[Finding]:
        # what the FROM chain above each stage installed, in one pass over the stages
        upto = ctx.per_stage("cd.installed-at-end", lambda st, parent: (parent or frozenset())
                             | self._installs(ctx, st.instructions))
        for stage in ctx.model.stages:
            installed: set[str] = set(upto[stage.base_stage]) if stage.base_stage is not None else set()
            copied: Instruction | None = None
            late: dict[str, Instruction] = {}
            for instr in stage.instructions:
                if copied is None and whole_context(instr):
                    copied = instr
                    continue
                script = ctx.script(instr)
                if script is None:
                    continue
                mounted = bool(cache_mounts(instr, "/"))
                for call in tool_calls(script):
                    eco = dependency_install(call)
                    if eco is None or eco in installed:
                        continue
                    if copied is None:
                        installed.add(eco)
                    elif eco not in late and not (eco in _COMPILED and mounted):
                        late[eco] = instr
            if copied is not None and late:
                eco, instr = next(iter(late.items()))
                if eco == "system":
                    advice = "move the package install above the COPY"
                else:
                    advice = f"copy {MANIFESTS[eco]}, and copy the rest afterwards"
                yield self.finding(
                    ctx, copied,
                    f"the whole build context is copied before the {eco} packages are installed "
                    f"(line {instr.start_line}): any source change re-installs them; {advice}",
                )

    def _installs(self, ctx: RuleContext, instrs: list[Instruction]) -> set[str]:
        found: set[str] = set()
        for instr in instrs:
            script = ctx.script(instr)
            if script is not None:
                found |= {e for c in tool_calls(script) if (e := dependency_install(c)) is not None}
        return found


@register
class AptUpdateAlone(Rule):
    """`apt-get update` (or `apk update`) in a `RUN` of its own, before a later install.

    ## What it does
    Reports a `RUN` that refreshes the package index (`apt-get update`, `apt update`,
    `apk update`) without installing anything in the same `RUN`, when a later `RUN` of the same
    stage installs packages.

    ## Why is this bad?
    The update layer is cached on its own: once built, it is reused for months, while the
    install `RUN` below it changes. The install then works against a stale index, fails with
    404s when the mirror has moved on, or silently installs old, unpatched versions. It also
    leaves the index in a separate layer that no later clean-up can shrink.

    ## Example
    ```dockerfile
    FROM debian:bookworm-slim
    RUN apt-get update
    RUN apt-get install -y --no-install-recommends curl
    ```

    ## Use instead
    ```dockerfile
    FROM debian:bookworm-slim
    RUN apt-get update \\
        && apt-get install -y --no-install-recommends curl \\
        && rm -rf /var/lib/apt/lists/*
    ```

    ## References
    - [Docker: best practices, apt-get](https://docs.docker.com/build/building/best-practices/#apt-get)
    """

    code = "CD203"
    name = "package-index-update-alone"
    severity = Severity.WARNING

    _PAIRS = {"apt-get": ("update", "install"), "apk": ("update", "add")}

    def check(self, ctx: RuleContext) -> Iterable[Finding]:
        for stage in ctx.model.stages:
            pending: dict[str, Instruction] = {}
            for instr in stage.instructions:
                script = ctx.script(instr)
                if script is None:
                    continue
                calls = tool_calls(script)
                for tool, (update, install) in self._PAIRS.items():
                    updates = any(c.tool == tool and c.sub == update for c in calls)
                    installs = any(c.tool == tool and c.sub == install for c in calls)
                    if installs and tool in pending:
                        yield self.finding(
                            ctx, pending.pop(tool),
                            f"`{tool} {update}` runs in its own layer, cached apart from the "
                            f"`{tool} {install}` on line {instr.start_line}; run both in one RUN",
                        )
                    if updates and not installs:
                        pending[tool] = instr
                    elif installs:
                        pending.pop(tool, None)
