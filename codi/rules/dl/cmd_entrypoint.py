"""DL rules about what the container runs: CMD, ENTRYPOINT, HEALTHCHECK."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

from codi.parser.model import Instruction
from codi.parser.semantic import Stage
from codi.rules.base import Applicability, Edit, Finding, Fix, Rule, RuleContext, Severity
from codi.rules.registry import register

# Anything a shell would interpret: with it, exec form would change what runs.
_SHELL_SYNTAX = re.compile(r"[$`\\\"'|&;<>()*?\[\]{}~#!\n]")


def _exec_form_fix(instr: Instruction) -> Fix | None:
    """JSON form for a one-line shell-form command made of plain words only."""
    command = instr.args[0] if instr.args else ""
    words = command.split()
    if not words or "=" in words[0] or _SHELL_SYNTAX.search(command) or instr.start_line != instr.end_line:
        return None
    rest = instr.rest
    first = len(rest) - len(rest.lstrip())
    last = len(rest.rstrip()) - 1
    if first > last:
        return None
    start, end = instr.rest_offsets[first], instr.rest_offsets[last] + 1
    return Fix(
        f"Use JSON (exec) form for {instr.keyword}",
        Applicability.UNSAFE,
        [Edit(start, end, json.dumps(words, ensure_ascii=False))],
    )


def _repeated(stage: Stage, keyword: str) -> list[tuple[Instruction, Fix]]:
    """Every ``keyword`` instruction of a stage after the first one, with a fix deleting the
    one before it (dead: only the last one takes effect)."""
    found = [i for i in stage.instructions if i.keyword == keyword]
    return [
        (
            instr,
            Fix(
                f"Remove the overridden {keyword} on line {prev.start_line}",
                Applicability.SAFE,
                [Edit(prev.span.start, prev.span.end, "")],
            ),
        )
        for prev, instr in zip(found, found[1:], strict=False)
    ]


@register
class ShellFormCommand(Rule):
    """Use JSON (exec) notation for `CMD` and `ENTRYPOINT` arguments.

    ## What it does
    Flags shell-form `CMD` and `ENTRYPOINT` (`CMD node server.js`).

    ## Why is this bad?
    Shell form runs the program under `/bin/sh -c`: the shell is PID 1, so `SIGTERM` from
    `docker stop` never reaches the program, which is killed after the timeout instead of
    shutting down cleanly; with `ENTRYPOINT`, `CMD` arguments are ignored too.

    `HEALTHCHECK CMD` in shell form is not flagged (hadolint flags it): the daemon runs it as a
    one-off process where a shell does no harm. A JSON array that is not valid JSON
    (`CMD ["C:\\app.exe"]`: `\\a` is no JSON escape) *is* flagged, because BuildKit then
    runs it in shell form; hadolint takes it for exec form.

    ## Example
    ```dockerfile
    CMD node server.js
    ```

    ## Use instead
    ```dockerfile
    CMD ["node", "server.js"]
    ```

    ## Fix safety
    Unsafe: the command no longer runs through a shell. Offered only for one-line commands
    made of plain words (no variables, quotes, redirections or operators).

    ## References
    - [hadolint DL3025](https://github.com/hadolint/hadolint/wiki/DL3025)
    """

    code = "DL3025"
    name = "json-notation-cmd"
    severity = Severity.WARNING
    fix_applicability = Applicability.UNSAFE

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        for instr in ctx.instructions("CMD", "ENTRYPOINT"):
            if not instr.json_form:
                yield self.finding(
                    ctx,
                    instr,
                    "Use arguments JSON notation for CMD and ENTRYPOINT arguments",
                    _exec_form_fix(instr),
                )


@register
class MultipleCmd(Rule):
    """Multiple `CMD` instructions in one stage.

    ## What it does
    Flags every `CMD` of a stage after the first one.

    ## Why is this bad?
    Only the last `CMD` takes effect; the others are dead code that misleads readers.

    ## Example
    ```dockerfile
    CMD ["nginx"]
    CMD ["nginx", "-g", "daemon off;"]
    ```

    ## Use instead
    ```dockerfile
    CMD ["nginx", "-g", "daemon off;"]
    ```

    ## Fix safety
    Safe: deletes the earlier, overridden instruction; the image config is unchanged
    (BuildKit keeps only the last one).

    ## References
    - [hadolint DL4003](https://github.com/hadolint/hadolint/wiki/DL4003)
    """

    code = "DL4003"
    name = "multiple-cmd"
    severity = Severity.WARNING
    fix_applicability = Applicability.SAFE

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        for stage in ctx.model.stages:
            for instr, fix in _repeated(stage, "CMD"):
                yield self.finding(
                    ctx,
                    instr,
                    "Multiple `CMD` instructions found. If you list more than one `CMD` "
                    "then only the last `CMD` will take effect",
                    fix,
                )


@register
class MultipleEntrypoint(Rule):
    """Multiple `ENTRYPOINT` instructions in one stage.

    ## What it does
    Flags every `ENTRYPOINT` of a stage after the first one.

    ## Why is this bad?
    Only the last `ENTRYPOINT` takes effect; the others are dead code that misleads readers.

    ## Example
    ```dockerfile
    ENTRYPOINT ["/bin/app"]
    ENTRYPOINT ["/docker-entrypoint.sh"]
    ```

    ## Use instead
    ```dockerfile
    ENTRYPOINT ["/docker-entrypoint.sh"]
    ```

    ## Fix safety
    Safe: deletes the earlier, overridden instruction; the image config is unchanged
    (BuildKit keeps only the last one).

    ## References
    - [hadolint DL4004](https://github.com/hadolint/hadolint/wiki/DL4004)
    """

    code = "DL4004"
    name = "multiple-entrypoint"
    severity = Severity.ERROR
    fix_applicability = Applicability.SAFE

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        for stage in ctx.model.stages:
            for instr, fix in _repeated(stage, "ENTRYPOINT"):
                yield self.finding(
                    ctx,
                    instr,
                    "Multiple `ENTRYPOINT` instructions found. If you list more than one "
                    "`ENTRYPOINT` then only the last `ENTRYPOINT` will take effect",
                    fix,
                )


@register
class MultipleHealthcheck(Rule):
    """Multiple `HEALTHCHECK` instructions in one stage.

    ## What it does
    Flags every `HEALTHCHECK` of a stage after the first one.

    ## Why is this bad?
    Only the last `HEALTHCHECK` takes effect.

    ## Example
    ```dockerfile
    HEALTHCHECK CMD curl -f http://localhost/ || exit 1
    HEALTHCHECK NONE
    ```

    ## Use instead
    ```dockerfile
    HEALTHCHECK CMD curl -f http://localhost/ || exit 1
    ```

    ## Fix safety
    Safe: deletes the earlier, overridden instruction; the image config is unchanged
    (BuildKit keeps only the last one).

    ## References
    - [hadolint DL3012](https://github.com/hadolint/hadolint/wiki/DL3012)
    """

    code = "DL3012"
    name = "multiple-healthcheck"
    severity = Severity.ERROR
    fix_applicability = Applicability.SAFE

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        for stage in ctx.model.stages:
            for instr, fix in _repeated(stage, "HEALTHCHECK"):
                yield self.finding(ctx, instr, "Multiple `HEALTHCHECK` instructions", fix)


@register
class MissingHealthcheck(Rule):
    """`HEALTHCHECK` instruction missing.

    ## What it does
    Flags the final stage when neither it nor the stages it is built `FROM` declare a
    `HEALTHCHECK`. Off by default, as in hadolint; unlike hadolint, builder stages are not
    flagged (they never run as containers).

    ## Why is this bad?
    Without a health check, orchestrators only know whether the process is alive, not whether
    it serves requests.

    ## Example
    ```dockerfile
    FROM nginx:1.27
    ```

    ## Use instead
    ```dockerfile
    FROM nginx:1.27
    HEALTHCHECK CMD curl -fsS http://localhost/ || exit 1
    ```

    ## References
    - [hadolint DL3057](https://github.com/hadolint/hadolint/wiki/DL3057)
    """

    code = "DL3057"
    name = "missing-healthcheck"
    severity = Severity.INFO
    enabled_by_default = False

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        final = ctx.model.final_stage
        if final is None:
            return
        if any(i.keyword == "HEALTHCHECK" for s in ctx.model.stage_chain(final) for i in s.instructions):
            return
        yield self.finding(ctx, final.from_instr, "`HEALTHCHECK` instruction missing.")
