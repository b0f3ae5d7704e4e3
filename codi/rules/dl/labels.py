"""DL rules about LABEL keys and the configured label schema (hadolint's `label-schema`)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from codi.parser.model import Instruction
from codi.parser.semantic import Model, Stage
from codi.rules.base import Finding, Rule, RuleContext, Severity
from codi.rules.dl.kvpairs import env_label_pairs, resolve
from codi.rules.registry import register

_RESERVED_PREFIXES = ("com.docker.", "io.docker.", "org.dockerproject.")
# Docker's key guideline (lower-case, start with a letter, no doubled separators); `_` and `/`
# are tolerated as hadolint does.
_KEY = re.compile(r"^[a-z]([a-z0-9._/-]*[a-z0-9])?$")


@dataclass(frozen=True, slots=True)
class Label:
    instr: Instruction
    key: str  # as the build sees it; the raw text when it uses an unknown variable
    value: str | None  # None when it uses a variable with no known value


def labels_of(ctx: RuleContext, instrs: list[Instruction]) -> Iterator[Label]:
    for instr in instrs:
        if instr.keyword != "LABEL":
            continue
        env = ctx.model.vars_at(instr)
        for pair in env_label_pairs(instr):
            key = resolve(pair.key_raw, env, ctx.dockerfile.escape)
            value = resolve(pair.value_raw, env, ctx.dockerfile.escape)
            yield Label(instr, key if key is not None else pair.key_raw, value)


def all_labels(ctx: RuleContext) -> Iterator[Label]:
    """Every label of the file, resolved once per file (several rules read them)."""
    return iter(ctx.memo("dl.all-labels", lambda: list(labels_of(ctx, list(ctx.instructions("LABEL"))))))


def _image_stages(model: Model) -> list[Stage]:
    """Stages that end up as an image: not only used by later stages (FROM / COPY --from)."""
    used = {s.base_stage for s in model.stages if s.base_stage is not None}
    used |= {src for src, _, _ in model.copy_from_edges()}
    return [s for s in model.stages if s.index not in used] or model.stages[-1:]


@register
class InvalidLabelKey(Rule):
    """Invalid label key.

    ## What it does
    Flags label keys that break Docker's key conventions: upper-case letters, a first
    character that is not a letter, a last one that is not a letter or digit, `..` or `--`,
    or a namespace reserved by Docker (`com.docker.*`, `io.docker.*`, `org.dockerproject.*`).

    ## Why is this bad?
    Tools that read labels (registries, scanners, orchestrators) expect reverse-DNS,
    lower-case keys; reserved namespaces belong to Docker itself.

    ## Example
    ```dockerfile
    LABEL Version=1.0 com.docker.owner=me
    ```

    ## Use instead
    ```dockerfile
    LABEL org.opencontainers.image.version=1.0 com.example.owner=me
    ```

    ## References
    - [hadolint DL3048](https://github.com/hadolint/hadolint/wiki/DL3048)
    - [Docker object labels](https://docs.docker.com/engine/manage-resources/labels/)
    """

    code = "DL3048"
    name = "invalid-label-key"
    severity = Severity.STYLE

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        for label in all_labels(ctx):
            key = label.key
            if "$" in key:
                continue
            if key.startswith(_RESERVED_PREFIXES) or not _KEY.match(key) or ".." in key or "--" in key:
                yield self.finding(ctx, label.instr, f"Invalid label key: {key}")


@register
class MissingLabel(Rule):
    """Label required by the schema is missing.

    ## What it does
    With a `label_schema` configured (`label-schema` in `.hadolint.yaml`), flags every image
    stage (a stage not only used by later stages) that lacks a schema label, counting labels
    inherited from the stages it is built `FROM`. Reported at the stage's `FROM`.
    Unlike hadolint, builder stages that only feed other stages are not flagged.

    ## Why is this bad?
    Required labels (source, revision, owner, licence) are how a team traces an image back to
    its code and people.

    ## Example
    ```dockerfile
    # label_schema = {"org.opencontainers.image.source": "url"}
    FROM alpine:3.20
    ```

    ## Use instead
    ```dockerfile
    FROM alpine:3.20
    LABEL org.opencontainers.image.source="https://github.com/example/app"
    ```

    ## References
    - [hadolint DL3049](https://github.com/hadolint/hadolint/wiki/DL3049)
    """

    code = "DL3049"
    name = "missing-label"
    severity = Severity.INFO

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        schema = ctx.config.label_schema
        if not schema:
            return
        # the schema's keys each stage's image has (its own LABELs and its FROM chain's), in one pass
        wanted = frozenset(schema)

        def inherit(stage: Stage, parent: frozenset[str] | None) -> frozenset[str]:
            own = {label.key for label in labels_of(ctx, stage.instructions)} & wanted
            return (parent or frozenset()) | own

        have = ctx.per_stage("dl.schema-labels", inherit)
        for stage in _image_stages(ctx.model):
            present = have[stage.index]
            for key in schema:
                if key not in present:
                    yield self.finding(ctx, stage.from_instr, f"Label `{key}` is missing.")


@register
class SuperfluousLabel(Rule):
    """Superfluous label present.

    ## What it does
    With `strict_labels` on (`strict-labels` in `.hadolint.yaml`), flags labels that are not
    in the configured `label_schema`.

    ## Why is this bad?
    Teams that fix their label set want typos (`org.opencontainer.image.source`) and stray
    labels caught.

    ## Example
    ```dockerfile
    # label_schema = {"maintainer": "text"}, strict_labels = true
    LABEL maintainer="ops@example.com" build-host=laptop
    ```

    ## Use instead
    ```dockerfile
    LABEL maintainer="ops@example.com"
    ```

    ## References
    - [hadolint DL3050](https://github.com/hadolint/hadolint/wiki/DL3050)
    """

    code = "DL3050"
    name = "superfluous-label"
    severity = Severity.INFO

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        if not ctx.config.strict_labels:
            return
        for label in all_labels(ctx):
            if label.key not in ctx.config.label_schema:
                yield self.finding(ctx, label.instr, f"Superfluous label(s) present: {label.key}")


@register
class EmptyLabel(Rule):
    """Label required by the schema is empty.

    ## What it does
    Flags a schema label (see `label_schema`) whose value is empty.

    ## Why is this bad?
    An empty required label satisfies the letter of the policy and none of its purpose.

    ## Example
    ```dockerfile
    LABEL maintainer=""
    ```

    ## Use instead
    ```dockerfile
    LABEL maintainer="ops@example.com"
    ```

    ## References
    - [hadolint DL3051](https://github.com/hadolint/hadolint/wiki/DL3051)
    """

    code = "DL3051"
    name = "empty-label"
    severity = Severity.WARNING

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        for label in all_labels(ctx):
            if label.key in ctx.config.label_schema and label.value is not None and not label.value.strip():
                yield self.finding(ctx, label.instr, f"label `{label.key}` is empty.")
