"""BuildKit checks on FROM's image and platform: InvalidBaseImagePlatform,
RedundantTargetPlatform, InvalidDefaultArgInFrom, FromPlatformFlagConstDisallowed."""

from __future__ import annotations

import json
from collections.abc import Iterable

from codi.parser.expand import expand, variables_used
from codi.parser.model import Instruction
from codi.rules.base import Finding, Rule, RuleContext, Severity
from codi.rules.buildkit.reference import (
    image_platform,
    is_valid_reference,
    normalize_reference,
    parse_platform,
)
from codi.rules.buildkit.variables import arg_keys
from codi.rules.buildkit.words import flag_value
from codi.rules.registry import register


def default_global_args(ctx: RuleContext) -> dict[str, str | None]:
    """Global ARGs with their default values only (no --build-arg), each default expanded
    with the ARGs before it, as BuildKit does when it validates base images."""
    env: dict[str, str | None] = {}
    for instr in ctx.model.global_args:
        for raw in instr.args:
            key, eq, value = raw.partition("=")
            if not key:
                continue
            env[key] = expand(value, env, ctx.dockerfile.escape) if eq else None
    return env


def _stage_name(instr: Instruction) -> str:
    return instr.args[2].lower() if len(instr.args) == 3 else ""


@register
class InvalidBaseImagePlatform(Rule):
    """Base image platform does not match expected target platform.

    ## What it does
    BuildKit compares the platform of the pulled base image with the platform the stage is
    built for. CODI works offline and never pulls images, so it reports only what is known
    without a registry: a `FROM --platform=<constant>` (or a global ARG whose default is a
    constant) whose image lives in one of Docker Hub's per-architecture namespaces
    (`amd64/`, `arm64v8/`, `arm32v7/`, `i386/`, `ppc64le/`, `s390x/`, `riscv64/`,
    `mips64le/`, `windows-amd64/`, ...), which hold single-platform images, when the OS or
    architecture differ. It never fires for other images or for platforms taken from
    `$BUILDPLATFORM`/`$TARGETPLATFORM`, which are only known at build time.

    ## Why is this bad?
    The build either fails with `exec format error` or silently runs the stage under
    emulation, and the resulting image does not run on the requested platform.

    ## Example
    ```dockerfile
    FROM --platform=linux/amd64 arm64v8/alpine:3.20
    ```

    ## Use instead
    ```dockerfile
    FROM --platform=linux/amd64 alpine:3.20
    ```

    ## References
    - https://github.com/moby/buildkit/blob/master/frontend/dockerfile/linter/ruleset.go
    - https://github.com/docker-library/official-images#architectures-other-than-amd64
    """

    code = "BK014"
    name = "InvalidBaseImagePlatform"
    severity = Severity.WARNING

    def check(self, ctx: RuleContext) -> Iterable[Finding]:
        defaults = default_global_args(ctx)
        escape = ctx.dockerfile.escape
        for instr in ctx.instructions("FROM"):
            platform = flag_value(instr, "platform")
            if not platform or not instr.args:
                continue
            if any(defaults.get(v) is None for v in variables_used(platform, escape)):
                continue
            if any(defaults.get(v) is None for v in variables_used(instr.args[0], escape)):
                continue
            expected = parse_platform(expand(platform, defaults, escape))
            image = expand(instr.args[0], defaults, escape)
            actual_str = image_platform(image)
            if expected is None or actual_str is None or not expected[0]:
                continue
            actual = parse_platform(actual_str)
            if actual is None or (expected[0], expected[1]) == (actual[0], actual[1]):
                continue
            expected_str = "/".join(p for p in expected if p)
            msg = (
                f"Base image {normalize_reference(image)} was pulled with platform {json.dumps(actual_str)}, "
                f"expected {json.dumps(expected_str)} for current build"
            )
            yield self.finding(ctx, instr, msg)


@register
class RedundantTargetPlatform(Rule):
    """Setting platform to predefined $TARGETPLATFORM in FROM is redundant as this is the default behavior.

    ## What it does
    Flags `FROM --platform=$TARGETPLATFORM` (or `${TARGETPLATFORM}`): the flag's only
    variable is `TARGETPLATFORM` and it expands to exactly that value.

    ## Why is this bad?
    Every stage is built for the target platform unless told otherwise, so the flag adds
    noise and suggests a cross-platform trick that is not there.

    ## Example
    ```dockerfile
    FROM --platform=$TARGETPLATFORM alpine
    ```

    ## Use instead
    ```dockerfile
    FROM alpine
    ```

    ## References
    - https://docs.docker.com/reference/build-checks/redundant-target-platform/
    """

    code = "BK015"
    name = "RedundantTargetPlatform"
    severity = Severity.WARNING

    def check(self, ctx: RuleContext) -> Iterable[Finding]:
        escape = ctx.dockerfile.escape
        marker = "\x00target\x00"
        for instr in ctx.instructions("FROM"):
            platform = flag_value(instr, "platform")
            if not platform:
                continue
            used = set(variables_used(platform, escape))
            if used != {"TARGETPLATFORM"}:
                continue
            if expand(platform, {"TARGETPLATFORM": marker}, escape) == marker:
                msg = f"Setting platform to predefined {platform} in FROM is redundant as this is the default behavior"
                yield self.finding(ctx, instr, msg)


@register
class InvalidDefaultArgInFrom(Rule):
    """Default value for global ARG results in an empty or invalid base image name.

    ## What it does
    Expands the image of each `FROM` that uses variables with the global ARGs' *default*
    values only (as if no `--build-arg` were given: BuildKit warns even when one fills the gap)
    and flags it when the result is empty or not a valid image reference (e.g. `ARG TAG`
    without a default and `FROM alpine:${TAG}` gives `alpine:`).

    ## Why is this bad?
    The Dockerfile cannot be built without passing build arguments, and tools that read it
    (scanners, `docker build --check`, Dependabot) cannot tell which image it uses. A sensible
    default keeps the file buildable as-is.

    ## Example
    ```dockerfile
    ARG TAG
    FROM alpine:${TAG}
    ```

    ## Use instead
    ```dockerfile
    ARG TAG=3.20
    FROM alpine:${TAG}
    ```

    ## References
    - https://docs.docker.com/reference/build-checks/invalid-default-arg-in-from/
    """

    code = "BK017"
    name = "InvalidDefaultArgInFrom"
    severity = Severity.WARNING

    def check(self, ctx: RuleContext) -> Iterable[Finding]:
        escape = ctx.dockerfile.escape
        env = default_global_args(ctx)
        # Predefined platform ARGs always have a value at build time; `--build-arg` may set them
        # (BuildKit's defaultArgs), while the global ARGs keep their defaults here.
        for name, value in (
            ("TARGETPLATFORM", "linux/amd64"),
            ("TARGETOS", "linux"),
            ("TARGETARCH", "amd64"),
            ("BUILDPLATFORM", "linux/amd64"),
            ("BUILDOS", "linux"),
            ("BUILDARCH", "amd64"),
        ):
            env.setdefault(name, ctx.build_args.get(name, value))
        declared = {k for instr in ctx.model.global_args for k in arg_keys(instr)}
        for instr in ctx.instructions("FROM"):
            if not instr.args or "$" not in instr.args[0]:
                continue
            base = instr.args[0]
            used = variables_used(base, escape)
            if not used or not all(v in declared or v in env for v in used):
                continue  # undeclared ARGs are UndefinedArgInFrom's business
            result = expand(base, env, escape)
            if result == "" or (result.lower() != "scratch" and not is_valid_reference(result)):
                yield self.finding(
                    ctx, instr, f"Default value for ARG {base} results in empty or invalid base image name"
                )


@register
class FromPlatformFlagConstDisallowed(Rule):
    """FROM --platform flag should not use a constant value.

    ## What it does
    Flags `FROM --platform=<constant>` such as `--platform=linux/amd64`. As in BuildKit,
    a stage whose name contains the platform's OS or architecture (`AS build_amd64`) is
    allowed: it is clearly meant for that one platform.

    ## Why is this bad?
    A constant platform pins the stage to one platform, so the Dockerfile can no longer
    build multi-platform images, and on other machines the stage runs under emulation.

    ## Example
    ```dockerfile
    FROM --platform=linux/amd64 alpine AS base
    ```

    ## Use instead
    ```dockerfile
    FROM --platform=$BUILDPLATFORM alpine AS base
    ```

    ## References
    - https://docs.docker.com/reference/build-checks/from-platform-flag-const-disallowed/
    """

    code = "BK018"
    name = "FromPlatformFlagConstDisallowed"
    severity = Severity.WARNING

    def check(self, ctx: RuleContext) -> Iterable[Finding]:
        escape = ctx.dockerfile.escape
        for instr in ctx.instructions("FROM"):
            platform = flag_value(instr, "platform")
            if not platform or variables_used(platform, escape):
                continue
            value = expand(platform, {}, escape)
            parsed = parse_platform(value)
            if parsed is None:
                continue
            stage = _stage_name(instr)
            os_name, arch, _ = parsed
            if (os_name and os_name in stage) or (arch and arch in stage):
                continue
            yield self.finding(
                ctx, instr, f"FROM --platform flag should not use constant value {json.dumps(value)}"
            )
