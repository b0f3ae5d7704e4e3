"""BuildKit checks about stage names: StageNameCasing, FromAsCasing, DuplicateStageName,
ReservedStageName."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from codi.parser.model import Instruction
from codi.rules.base import Applicability, Edit, Finding, Fix, Rule, RuleContext, Severity
from codi.rules.buildkit.words import rest_words
from codi.rules.registry import register


def _as_and_name(instr: Instruction) -> tuple[tuple[str, int, int], tuple[str, int, int]] | None:
    """The ``AS`` word and the stage-name word of a FROM, with file offsets."""
    if len(instr.args) != 3 or instr.args[1].lower() != "as":
        return None
    words = [w for w in rest_words(instr) if not w[0].startswith("--")]
    if len(words) < 3:
        return None
    return words[-2], words[-1]


def _froms(ctx: RuleContext) -> Iterator[Instruction]:
    return ctx.instructions("FROM")


@register
class StageNameCasing(Rule):
    """Stage names should be lowercase.

    ## What it does
    Flags a `FROM ... AS <name>` whose stage name has uppercase letters.

    ## Why is this bad?
    BuildKit compares stage names case-insensitively (it lowercases them), so `Build`,
    `BUILD` and `build` are the same stage. Mixed casing suggests a difference that does not
    exist and makes `--target` and `COPY --from` references inconsistent. BuildKit reports this
    as a warning; CODI treats it as a style issue.

    ## Example
    ```dockerfile
    FROM golang:1.22 AS BuilderBase
    ```

    ## Use instead
    ```dockerfile
    FROM golang:1.22 AS builderbase
    ```

    ## Fix safety
    Safe: stage names are case-insensitive, so lowercasing the declaration changes nothing
    in the build (references elsewhere keep working).

    ## References
    - https://docs.docker.com/reference/build-checks/stage-name-casing/
    """

    code = "BK001"
    name = "StageNameCasing"
    severity = Severity.STYLE
    fix_applicability = Applicability.SAFE

    def check(self, ctx: RuleContext) -> Iterable[Finding]:
        for instr in _froms(ctx):
            if len(instr.args) != 3:
                continue
            stage = instr.args[2]
            if stage == stage.lower():
                continue
            fix = None
            words = _as_and_name(instr)
            if words is not None:
                _, (word, start, end) = words
                fix = Fix("Lowercase the stage name", Applicability.SAFE, [Edit(start, end, word.lower())])
            yield self.finding(ctx, instr, f"Stage name '{stage}' should be lowercase", fix)


@register
class FromAsCasing(Rule):
    """The 'as' keyword should match the case of the 'from' keyword.

    ## What it does
    Flags `FROM ... as name` when `FROM` is uppercase (or `from ... AS name` when `from` is
    lowercase). When the `FROM` keyword itself has mixed casing this check stays silent
    (ConsistentInstructionCasing reports that), as BuildKit does.

    ## Why is this bad?
    Mixed keyword casing on one line is harder to read and scan. BuildKit reports this as a
    warning; CODI treats it as a style issue.

    ## Example
    ```dockerfile
    FROM debian:12 as builder
    ```

    ## Use instead
    ```dockerfile
    FROM debian:12 AS builder
    ```

    ## Fix safety
    Safe: the `AS` keyword is case-insensitive.

    ## References
    - https://docs.docker.com/reference/build-checks/from-as-casing/
    """

    code = "BK002"
    name = "FromAsCasing"
    severity = Severity.STYLE
    fix_applicability = Applicability.SAFE

    def check(self, ctx: RuleContext) -> Iterable[Finding]:
        for instr in _froms(ctx):
            if len(instr.args) < 3:
                continue
            kw = instr.keyword_raw
            as_word = instr.args[1]
            if kw == kw.lower():
                want = as_word.lower()
            elif kw == kw.upper():
                want = as_word.upper()
            else:
                continue
            if as_word == want:
                continue
            fix = None
            words = _as_and_name(instr)
            if words is not None:
                (_, start, end), _ = words
                fix = Fix(f"Write '{want}'", Applicability.SAFE, [Edit(start, end, want)])
            msg = f"'{as_word}' and '{kw}' keywords' casing do not match"
            yield self.finding(ctx, instr, msg, fix)


@register
class DuplicateStageName(Rule):
    """Stage names should be unique.

    ## What it does
    Flags a `FROM ... AS <name>` whose name (compared case-insensitively, as BuildKit does)
    was already used by an earlier stage.

    ## Why is this bad?
    `COPY --from=<name>`, `FROM <name>` and `--target <name>` can only refer to one stage;
    with duplicates the reference silently picks one of them and the Dockerfile no longer
    says what it builds.

    ## Example
    ```dockerfile
    FROM debian:12 AS builder
    RUN make
    FROM debian:12 AS builder
    RUN make test
    ```

    ## Use instead
    ```dockerfile
    FROM debian:12 AS builder
    RUN make
    FROM debian:12 AS tester
    RUN make test
    ```

    ## References
    - https://docs.docker.com/reference/build-checks/duplicate-stage-name/
    """

    code = "BK005"
    name = "DuplicateStageName"
    severity = Severity.WARNING

    def check(self, ctx: RuleContext) -> Iterable[Finding]:
        seen: set[str] = set()
        for instr in _froms(ctx):
            if len(instr.args) != 3:
                continue
            stage = instr.args[2].lower()
            if stage in seen:
                yield self.finding(
                    ctx, instr, f'Duplicate stage name "{stage}", stage names should be unique'
                )
            seen.add(stage)


RESERVED_STAGE_NAMES = ("context", "scratch")


@register
class ReservedStageName(Rule):
    """Reserved words should not be used as stage names.

    ## What it does
    Flags stages named `scratch` or `context` (in any casing).

    ## Why is this bad?
    `scratch` is the empty base image and `context` names the build context in
    `--build-context`/named contexts; a stage with one of these names shadows or is shadowed
    by the reserved meaning, so `FROM scratch` or `COPY --from=context` stop meaning what
    readers expect.

    ## Example
    ```dockerfile
    FROM alpine AS scratch
    ```

    ## Use instead
    ```dockerfile
    FROM alpine AS base
    ```

    ## References
    - https://docs.docker.com/reference/build-checks/reserved-stage-name/
    """

    code = "BK006"
    name = "ReservedStageName"
    severity = Severity.WARNING

    def check(self, ctx: RuleContext) -> Iterable[Finding]:
        for instr in _froms(ctx):
            if len(instr.args) != 3:
                continue
            stage = instr.args[2].lower()
            if stage in RESERVED_STAGE_NAMES:
                msg = f'Stage name should not use the same name as reserved stage "{stage}"'
                yield self.finding(ctx, instr, msg)
