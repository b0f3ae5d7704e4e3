"""DL rules about stages: names, `COPY --from` references and instruction order."""

from __future__ import annotations

from collections.abc import Iterator

from codi.parser.bounds import decimal
from codi.parser.model import Instruction
from codi.parser.semantic import Stage
from codi.rules.base import Finding, Rule, RuleContext, Severity
from codi.rules.registry import register


def _copy_from(stage: Stage) -> Iterator[tuple[Instruction, str]]:
    """COPY instructions of a stage with a literal ``--from`` value."""
    for instr in stage.instructions:
        if instr.keyword != "COPY":
            continue
        flag = instr.flag("from")
        if flag is not None and flag.value and "$" not in flag.value:
            yield instr, flag.value


def _looks_like_image(ref: str) -> bool:
    """``nginx:1.27``, ``ghcr.io/a/b``, ``x@sha256:...`` are images; a bare word may be a typo."""
    return any(c in ref for c in ":/@.")


@register
class CopyFromUnknownStage(Rule):
    """`COPY --from` should reference a previously defined stage.

    ## What it does
    Flags `COPY --from=X` where `X` is a stage defined *later*, a stage number that does not
    exist yet, or a bare word that matches no stage (most likely a typo; BuildKit would try to
    pull an image of that name). Image references (`--from=nginx:1.27`, and names with a
    registry or owner such as `--from=docker/buildx-bin`) are fine: hadolint flags the
    latter although copying from an image is a documented BuildKit feature.

    Unlike hadolint, stage names are compared case-insensitively, as BuildKit does
    (`--from=Build` refers to `AS build`).

    ## Why is this bad?
    BuildKit resolves `--from` against stages declared before; anything else is pulled as an
    image, which fails or, worse, copies from an unrelated image.

    ## Example
    ```dockerfile
    FROM golang:1.22 AS build
    RUN go build -o /app .
    FROM alpine:3.20
    COPY --from=buidl /app /app
    ```

    ## Use instead
    ```dockerfile
    FROM golang:1.22 AS build
    RUN go build -o /app .
    FROM alpine:3.20
    COPY --from=build /app /app
    ```

    ## References
    - [hadolint DL3022](https://github.com/hadolint/hadolint/wiki/DL3022)
    """

    code = "DL3022"
    name = "copy-from-previous-stage"
    severity = Severity.WARNING

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        stages = ctx.model.stages
        for stage in stages:
            for instr, ref in _copy_from(stage):
                if ref.isascii() and ref.isdigit():
                    bad = decimal(ref) > stage.index
                else:
                    key = ref.lower()
                    earlier = any(s.name == key for s in stages[: stage.index + 1])
                    later = any(s.name == key for s in stages[stage.index + 1 :])
                    bad = not earlier and (later or not _looks_like_image(ref))
                if bad:
                    yield self.finding(
                        ctx, instr, f"`COPY --from={ref}` should reference a previously defined `FROM` alias"
                    )


@register
class CopyFromSelf(Rule):
    """`COPY --from` cannot reference its own stage.

    ## What it does
    Flags `COPY --from=X` inside the stage `X` itself, by name (any case) or by number.

    ## Why is this bad?
    A stage cannot copy from itself; BuildKit fails with a circular dependency.

    ## Example
    ```dockerfile
    FROM debian:12 AS build
    COPY --from=build /a /b
    ```

    ## Use instead
    ```dockerfile
    FROM debian:12 AS build
    RUN cp /a /b
    ```

    ## References
    - [hadolint DL3023](https://github.com/hadolint/hadolint/wiki/DL3023)
    """

    code = "DL3023"
    name = "copy-from-own-stage"
    severity = Severity.ERROR

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        for stage in ctx.model.stages:
            for instr, ref in _copy_from(stage):
                own = decimal(ref) == stage.index if ref.isascii() and ref.isdigit() else ref.lower() == stage.name
                if own:
                    yield self.finding(ctx, instr, "`COPY --from` cannot reference its own `FROM` alias")


@register
class DuplicateStageName(Rule):
    """Stage names (`FROM ... AS name`) must be unique.

    ## What it does
    Flags a stage whose name was already used by an earlier stage. Names are compared
    case-insensitively, as BuildKit does (hadolint misses `AS Build` after `AS build`).

    ## Why is this bad?
    BuildKit rejects the file: `--from` and `--target` could not tell the stages apart.

    ## Example
    ```dockerfile
    FROM node:22 AS build
    FROM golang:1.22 AS build
    ```

    ## Use instead
    ```dockerfile
    FROM node:22 AS web
    FROM golang:1.22 AS api
    ```

    ## References
    - [hadolint DL3024](https://github.com/hadolint/hadolint/wiki/DL3024)
    """

    code = "DL3024"
    name = "unique-stage-names"
    severity = Severity.ERROR

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        seen: set[str] = set()
        for stage in ctx.model.stages:
            if stage.name is None:
                continue
            if stage.name in seen:
                yield self.finding(
                    ctx, stage.from_instr, f"FROM aliases (stage names) must be unique: {stage.name_raw}"
                )
            seen.add(stage.name)


@register
class ReservedStageName(Rule):
    """Stage name should not be a reserved word.

    ## What it does
    Flags stages named `scratch` or `context` (in any case: BuildKit lower-cases names).

    ## Why is this bad?
    `FROM scratch` means the empty image and `context` names the build context in
    `--build-context`/`COPY --from`; a stage with such a name is ambiguous or unreachable.

    ## Example
    ```dockerfile
    FROM alpine:3.20 AS scratch
    ```

    ## Use instead
    ```dockerfile
    FROM alpine:3.20 AS base
    ```

    ## References
    - [hadolint DL3063](https://github.com/hadolint/hadolint/wiki/DL3063)
    """

    code = "DL3063"
    name = "reserved-stage-name"
    severity = Severity.WARNING

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        for stage in ctx.model.stages:
            if stage.name in ("scratch", "context"):
                yield self.finding(ctx, stage.from_instr, "stage name should not be a reserved word")


@register
class CopyWholeFilesystem(Rule):
    """Do not copy an entire filesystem from another stage.

    ## What it does
    Flags `COPY --from=<stage> / /`.

    ## Why is this bad?
    It copies everything of the other stage (package caches, compilers, `/proc` leftovers) on
    top of this one, defeating the point of a multi-stage build and bloating the image.

    ## Example
    ```dockerfile
    COPY --from=build / /
    ```

    ## Use instead
    ```dockerfile
    COPY --from=build /out/app /usr/local/bin/app
    ```

    ## References
    - [hadolint DL3067](https://github.com/hadolint/hadolint/wiki/DL3067)
    """

    code = "DL3067"
    name = "copy-whole-filesystem"
    severity = Severity.WARNING

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        for instr in ctx.instructions("COPY"):
            if instr.flag("from") is None or len(instr.args) < 2:
                continue
            paths = [a.strip("\"'") for a in instr.args]
            if paths[-1] == "/" and "/" in paths[:-1]:
                yield self.finding(ctx, instr, "Do not copy an entire filesystem from another stage")


@register
class InstructionOrder(Rule):
    """A Dockerfile must begin with `FROM`, `ARG` or a comment.

    ## What it does
    Flags every instruction before the first `FROM` other than `ARG`.

    ## Why is this bad?
    Only `ARG` may come before the first `FROM`; BuildKit rejects anything else.

    ## Example
    ```dockerfile
    LABEL maintainer="ops@example.com"
    FROM debian:12
    ```

    ## Use instead
    ```dockerfile
    FROM debian:12
    LABEL maintainer="ops@example.com"
    ```

    ## References
    - [hadolint DL3061](https://github.com/hadolint/hadolint/wiki/DL3061)
    """

    code = "DL3061"
    name = "instruction-order"
    severity = Severity.ERROR

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        for instr in ctx.dockerfile.instructions:
            if instr.keyword == "FROM":
                return
            if instr.keyword != "ARG":
                yield self.finding(
                    ctx,
                    instr,
                    "Invalid instruction order. Dockerfile must begin with `FROM`, `ARG` or comment.",
                )


@register
class OnbuildTrigger(Rule):
    """`ONBUILD`, `FROM` or `MAINTAINER` cannot be triggered from `ONBUILD`.

    ## What it does
    Flags `ONBUILD ONBUILD ...`, `ONBUILD FROM ...` and `ONBUILD MAINTAINER ...`.

    ## Why is this bad?
    BuildKit refuses these triggers: the child image's build fails.

    ## Example
    ```dockerfile
    ONBUILD FROM alpine:3.20
    ```

    ## Use instead
    ```dockerfile
    ONBUILD COPY . /src
    ```

    ## References
    - [hadolint DL3043](https://github.com/hadolint/hadolint/wiki/DL3043)
    """

    code = "DL3043"
    name = "onbuild-trigger"
    severity = Severity.ERROR

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        for instr in ctx.instructions("ONBUILD"):
            if instr.inner is not None and instr.inner.keyword in ("ONBUILD", "FROM", "MAINTAINER"):
                yield self.finding(
                    ctx,
                    instr,
                    "`ONBUILD`, `FROM` or `MAINTAINER` triggered from within `ONBUILD` instruction.",
                )
