"""DL rules about the image a stage is built FROM: tags, registries, platforms."""

from __future__ import annotations

import fnmatch
from collections.abc import Iterator

from codi.parser.expand import variables_used
from codi.rules.base import Applicability, Edit, Finding, Fix, Rule, RuleContext, Severity
from codi.rules.dl.image_ref import AUTOMATIC_ARGS, external_base, global_arg_values
from codi.rules.dl.kvpairs import resolve
from codi.rules.registry import register


@register
class UntaggedImage(Rule):
    """Always tag the version of an image explicitly.

    ## What it does
    Flags a `FROM` whose image has neither a tag nor a digest.

    ## Why is this bad?
    An untagged image means `:latest`, which moves: the same Dockerfile builds a different
    image next month, and rebuilds stop being reproducible.

    Unlike hadolint, CODI resolves global `ARG` defaults first (`FROM python:${VER}` with
    `ARG VER=3.12` is tagged), stays silent when an `ARG` has no default (its value is only
    known at build time), never flags `scratch` or the name of an earlier stage, and reads
    registries with a port correctly (`localhost:5000/app` has no tag).

    ## Example
    ```dockerfile
    FROM python
    ```

    ## Use instead
    ```dockerfile
    FROM python:3.12-slim
    ```

    ## References
    - [hadolint DL3006](https://github.com/hadolint/hadolint/wiki/DL3006)
    """

    code = "DL3006"
    name = "tag-image-version"
    severity = Severity.WARNING

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        for stage in ctx.model.stages:
            ref = external_base(ctx.model, stage)
            if ref is not None and ref.tag is None and ref.digest is None:
                yield self.finding(ctx, stage.from_instr, "Always tag the version of an image explicitly")


@register
class LatestTag(Rule):
    """Using the `latest` tag is prone to errors if the image ever updates.

    ## What it does
    Flags a `FROM` whose image is tagged `latest` (after resolving global `ARG` defaults)
    without a digest.

    ## Why is this bad?
    `latest` is whatever was pushed last: builds are not reproducible and a new major version
    can break the image without any change to the Dockerfile.

    ## Example
    ```dockerfile
    FROM node:latest
    ```

    ## Use instead
    ```dockerfile
    FROM node:22-bookworm-slim
    ```

    ## References
    - [hadolint DL3007](https://github.com/hadolint/hadolint/wiki/DL3007)
    """

    code = "DL3007"
    name = "no-latest-tag"
    severity = Severity.WARNING

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        for stage in ctx.model.stages:
            ref = external_base(ctx.model, stage)
            if ref is not None and ref.tag == "latest" and ref.digest is None:
                yield self.finding(
                    ctx,
                    stage.from_instr,
                    "Using latest is prone to errors if the image will ever update. "
                    "Pin the version explicitly to a release tag",
                )


@register
class TrustedRegistry(Rule):
    """Use only an allowed registry in the `FROM` image.

    ## What it does
    When `trusted_registries` is configured (`trustedRegistries` in `.hadolint.yaml`), flags a
    `FROM` whose image comes from any other registry. Images without a registry come from
    `docker.io`. Entries may use shell wildcards (`*.gcr.io`). Does nothing when the list is empty.

    ## Why is this bad?
    Images from unvetted registries are a supply-chain risk and may disappear.

    ## Example
    ```dockerfile
    # trusted_registries = ["registry.example.com"]
    FROM quay.io/someone/tool:1.0
    ```

    ## Use instead
    ```dockerfile
    FROM registry.example.com/mirror/tool:1.0
    ```

    ## References
    - [hadolint DL3026](https://github.com/hadolint/hadolint/wiki/DL3026)
    """

    code = "DL3026"
    name = "trusted-registry"
    severity = Severity.ERROR

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        trusted = [t.lower() for t in ctx.config.trusted_registries]
        if not trusted:
            return
        for stage in ctx.model.stages:
            ref = external_base(ctx.model, stage)
            if ref is None:
                continue
            registry = ref.registry_or_hub
            if not any(fnmatch.fnmatchcase(registry, pattern) for pattern in trusted):
                yield self.finding(
                    ctx, stage.from_instr, f"Use only an allowed registry in the FROM image ({registry})"
                )


@register
class FromPlatform(Rule):
    """Do not use a hard-coded `--platform` with `FROM`.

    ## What it does
    Flags `FROM --platform=...` whose value is fixed in the file (`linux/amd64`, or a global
    `ARG` with such a default). Values built from BuildKit's automatic platform args
    (`$BUILDPLATFORM`, `$TARGETOS`, ...) or from an `ARG` without a default are fine.

    ## Why is this bad?
    A fixed platform makes the image wrong (or emulated) on every other architecture and
    breaks multi-platform builds.

    ## Example
    ```dockerfile
    FROM --platform=linux/amd64 golang:1.22
    ```

    ## Use instead
    ```dockerfile
    FROM --platform=$BUILDPLATFORM golang:1.22
    ```

    ## References
    - [hadolint DL3029](https://github.com/hadolint/hadolint/wiki/DL3029)
    """

    code = "DL3029"
    name = "no-from-platform"
    severity = Severity.WARNING

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        args = global_arg_values(ctx.model, ctx.dockerfile.escape)
        for stage in ctx.model.stages:
            flag = stage.from_instr.flag("platform")
            if flag is None or flag.value is None:
                continue
            used = variables_used(flag.value, ctx.dockerfile.escape)
            if any(v in AUTOMATIC_ARGS for v in used):
                continue
            if resolve(flag.value, args, ctx.dockerfile.escape) is None:
                continue  # an ARG without default: chosen at build time
            yield self.finding(ctx, flag.span, "Do not use --platform flag with FROM")


@register
class RedundantTargetPlatform(Rule):
    """`FROM --platform=$TARGETPLATFORM` is redundant.

    ## What it does
    Flags `FROM --platform=$TARGETPLATFORM` (or `${TARGETPLATFORM}`).

    ## Why is this bad?
    Building for the target platform is what `FROM` already does; the flag is noise and
    suggests a cross-compilation set-up that is not there.

    ## Example
    ```dockerfile
    FROM --platform=$TARGETPLATFORM alpine:3.20
    ```

    ## Use instead
    ```dockerfile
    FROM alpine:3.20
    ```

    ## Fix safety
    Safe: removes the flag; the stage is built for the same platform.

    ## References
    - [hadolint DL3065](https://github.com/hadolint/hadolint/wiki/DL3065)
    """

    code = "DL3065"
    name = "redundant-target-platform"
    severity = Severity.WARNING
    fix_applicability = Applicability.SAFE

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        for stage in ctx.model.stages:
            flag = stage.from_instr.flag("platform")
            if flag is not None and flag.value in ("$TARGETPLATFORM", "${TARGETPLATFORM}"):
                end = flag.span.end
                while ctx.dockerfile.text[end : end + 1] in (" ", "\t"):
                    end += 1
                fix = Fix(
                    "Remove --platform=$TARGETPLATFORM", Applicability.SAFE, [Edit(flag.span.start, end, "")]
                )
                yield self.finding(
                    ctx,
                    flag.span,
                    "Setting `FROM --platform` to `$TARGETPLATFORM` is redundant (the default)",
                    fix,
                )
