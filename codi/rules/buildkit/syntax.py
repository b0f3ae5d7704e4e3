"""BuildKit checks about how instructions are written: NoEmptyContinuation,
ConsistentInstructionCasing, MaintainerDeprecated."""

from __future__ import annotations

from collections.abc import Iterable

from codi.parser.model import Instruction
from codi.rules.base import Applicability, Edit, Finding, Fix, Rule, RuleContext, Severity
from codi.rules.buildkit.words import span_at
from codi.rules.registry import register


def _continuation_text(instr: Instruction) -> str:
    """The instruction's own lines (heredoc bodies excluded)."""
    if not instr.heredocs:
        return instr.text
    return instr.text[: max(0, min(h.span.start for h in instr.heredocs) - instr.span.start)]


def _empty_continuation_lines(instr: Instruction) -> list[tuple[int, int]]:
    """(start, end) file offsets of whitespace-only lines inside the instruction's own lines
    (heredoc bodies excluded: an empty line there is content, not a continuation)."""
    base = instr.span.start
    out: list[tuple[int, int]] = []
    pos = 0
    for i, line in enumerate(_continuation_text(instr).splitlines(keepends=True)):
        if i > 0 and line.strip() == "" and line.endswith("\n"):
            out.append((base + pos, base + pos + len(line)))
        pos += len(line)
    return out


def _last_line_start(instr: Instruction) -> int:
    """File offset of the last line of the instruction's continuation (where BuildKit's parser is
    when it warns about empty continuation lines)."""
    own = _continuation_text(instr).rstrip("\r\n")
    return instr.span.start + own.rfind("\n") + 1


@register
class NoEmptyContinuation(Rule):
    """Empty continuation lines will become errors in a future release.

    ## What it does
    Flags an instruction continued with the escape character whose continuation contains an
    empty (whitespace-only) line. Comment lines inside a continuation are fine.

    ## Why is this bad?
    BuildKit silently skips the empty line today, but Docker has announced that empty
    continuation lines will become a syntax error. They also make it easy to miss that the
    next lines still belong to the same instruction.

    ## Example
    ```dockerfile
    FROM alpine
    RUN apk add --no-cache \

        curl
    ```

    ## Use instead
    ```dockerfile
    FROM alpine
    RUN apk add --no-cache \
        curl
    ```

    ## Fix safety
    Safe: the removed lines are ignored by the builder today.

    Reported on the last line of the continued instruction, as BuildKit reports it (its parser
    warns once the logical line is complete); the fix removes every empty line.

    ## References
    - https://docs.docker.com/reference/build-checks/no-empty-continuation/
    - https://github.com/moby/moby/pull/33719
    """

    code = "BK003"
    name = "NoEmptyContinuation"
    severity = Severity.WARNING
    fix_applicability = Applicability.SAFE

    def check(self, ctx: RuleContext) -> Iterable[Finding]:
        for instr in ctx.dockerfile.instructions:
            empties = _empty_continuation_lines(instr)
            if not empties:
                continue
            fix = Fix(
                "Remove the empty continuation lines",
                Applicability.SAFE,
                [Edit(start, end, "") for start, end in empties],
            )
            at = _last_line_start(instr)
            yield self.finding(ctx, span_at(ctx.dockerfile, at, at), "Empty continuation line", fix)


def _in_stages(ctx: RuleContext) -> list[Instruction]:
    """Instructions from the first FROM on (BuildKit does not count global ARGs)."""
    out: list[Instruction] = []
    started = False
    for instr in ctx.dockerfile.instructions:
        started = started or instr.keyword == "FROM"
        if started:
            out.append(instr)
    return out


@register
class ConsistentInstructionCasing(Rule):
    """All commands within the Dockerfile should use the same casing (either upper or lower).

    ## What it does
    Counts the instructions written all-lowercase and all-uppercase; the majority wins (a tie
    goes to uppercase, as in BuildKit). Every instruction keyword that does not match the
    majority casing - including mixed casing such as `Run` - is flagged. Global `ARG`s before
    the first `FROM` are not counted or checked, matching BuildKit.

    ## Why is this bad?
    Instruction keywords are case-insensitive, but mixing casings makes a Dockerfile harder to
    read and to search. BuildKit reports this as a warning; CODI treats it as a style issue.

    ## Example
    ```dockerfile
    FROM alpine
    run echo hello
    ```

    ## Use instead
    ```dockerfile
    FROM alpine
    RUN echo hello
    ```

    ## Fix safety
    Safe: only the keyword's casing changes.

    ## References
    - https://docs.docker.com/reference/build-checks/consistent-instruction-casing/
    """

    code = "BK004"
    name = "ConsistentInstructionCasing"
    severity = Severity.STYLE
    fix_applicability = Applicability.SAFE

    def check(self, ctx: RuleContext) -> Iterable[Finding]:
        instrs = _in_stages(ctx)
        lower = sum(1 for i in instrs if i.keyword_raw == i.keyword_raw.lower())
        upper = sum(
            1
            for i in instrs
            if i.keyword_raw == i.keyword_raw.upper() and i.keyword_raw != i.keyword_raw.lower()
        )
        majority_lower = lower > upper
        casing = "lowercase" if majority_lower else "uppercase"
        for instr in instrs:
            kw = instr.keyword_raw
            want = kw.lower() if majority_lower else kw.upper()
            if kw == want:
                continue
            ks = instr.keyword_span
            fix = Fix(f"Write '{want}'", Applicability.SAFE, [Edit(ks.start, ks.end, want)])
            msg = f"Command '{kw}' should match the case of the command majority ({casing})"
            yield self.finding(ctx, ks, msg, fix)


@register
class MaintainerDeprecated(Rule):
    """The MAINTAINER instruction is deprecated, use a label instead to define an image author.

    ## What it does
    Flags every `MAINTAINER` instruction.

    ## Why is this bad?
    `MAINTAINER` has been deprecated since Docker 1.13; it only sets the legacy `Author`
    field of the image config, which most tools ignore. The OCI label
    `org.opencontainers.image.authors` is the standard place for this information.
    hadolint's DL4000 reports the same thing; its fix (a `LABEL maintainer=...`) is offered
    there, so this check has none of its own.

    ## Example
    ```dockerfile
    FROM alpine
    MAINTAINER Jane Doe <jane@example.com>
    ```

    ## Use instead
    ```dockerfile
    FROM alpine
    LABEL org.opencontainers.image.authors="Jane Doe <jane@example.com>"
    ```

    ## References
    - https://docs.docker.com/reference/build-checks/maintainer-deprecated/
    """

    code = "BK008"
    name = "MaintainerDeprecated"
    severity = Severity.WARNING

    def check(self, ctx: RuleContext) -> Iterable[Finding]:
        for instr in ctx.instructions("MAINTAINER"):
            yield self.finding(ctx, instr, "Maintainer instruction is deprecated in favor of using label")
