"""BuildKit checks on single commands: JSONArgsRecommended, WorkdirRelativePath,
MultipleInstructionsDisallowed."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable

from codi.parser.expand import expand, variables_used
from codi.parser.model import Instruction
from codi.parser.semantic import Stage
from codi.rules.base import Applicability, Edit, Finding, Fix, Rule, RuleContext, Severity
from codi.rules.registry import register

# A shell-form command made only of these characters can become exec form word by word
# without changing what runs (no variables, globs, redirections, operators or quotes).
_PLAIN_COMMAND = re.compile(r"[A-Za-z0-9_./:@%+=,\- ]+")


def _shell_set_before(ctx: RuleContext, instr: Instruction) -> bool:
    """True when a SHELL instruction applies to ``instr`` (in its stage or a parent stage)."""
    return id(instr) in ctx.memo("bk.after-shell", lambda: _after_shell(ctx))


def _after_shell(ctx: RuleContext) -> set[int]:
    """id() of every instruction some SHELL applies to, in one pass over the stages."""
    out: set[int] = set()

    def walk(stage: Stage, inherited: bool | None) -> bool:
        seen = bool(inherited) and stage.base_stage is not None
        for other in stage.instructions:
            if seen:
                out.add(id(other))
            seen = seen or other.keyword == "SHELL"
        return seen

    ctx.per_stage("bk.shell-at-end", walk)
    return out


@register
class JSONArgsRecommended(Rule):
    """JSON arguments recommended for ENTRYPOINT/CMD to prevent unintended behavior related to OS signals.

    ## What it does
    Flags `CMD` and `ENTRYPOINT` in shell form (`CMD node server.js` rather than
    `CMD ["node", "server.js"]`). Like BuildKit, it stays silent when a `SHELL` instruction
    applies to the stage: then shell form is clearly intended.

    ## Why is this bad?
    Shell form runs the command as `/bin/sh -c "..."`, so the shell is PID 1: `docker stop`
    sends SIGTERM to the shell, which does not forward it, and the container is killed after
    the timeout instead of shutting down cleanly. A shell-form `ENTRYPOINT` also ignores
    `CMD` and `docker run` arguments.

    ## Example
    ```dockerfile
    FROM node:20-slim
    CMD node server.js
    ```

    ## Use instead
    ```dockerfile
    FROM node:20-slim
    CMD ["node", "server.js"]
    ```

    ## Fix safety
    Unsafe, and offered only for plain commands (no variables, quotes, globs, pipes or other
    shell syntax): the program then runs without a shell, which is the intent, but
    environment differences (e.g. no `sh` wrapper for `ENTRYPOINT` arguments) change
    behaviour.

    ## References
    - https://docs.docker.com/reference/build-checks/json-args-recommended/
    """

    code = "BK007"
    name = "JSONArgsRecommended"
    severity = Severity.WARNING
    fix_applicability = Applicability.UNSAFE

    def check(self, ctx: RuleContext) -> Iterable[Finding]:
        for instr in ctx.instructions("CMD", "ENTRYPOINT"):
            if instr.json_form or _shell_set_before(ctx, instr):
                continue
            fix = None
            command = instr.args[0].strip() if instr.args else ""
            if command and _PLAIN_COMMAND.fullmatch(command) and instr.rest_offsets:
                exec_form = json.dumps(command.split())
                start = instr.rest_offsets[0]
                end = instr.rest_offsets[-1] + 1
                stripped = instr.rest.rstrip()
                end = instr.rest_offsets[len(stripped) - 1] + 1 if stripped else end
                lead = len(instr.rest) - len(instr.rest.lstrip())
                start = instr.rest_offsets[lead] if lead < len(instr.rest_offsets) else start
                fix = Fix("Use the exec (JSON) form", Applicability.UNSAFE, [Edit(start, end, exec_form)])
            msg = (
                f"JSON arguments recommended for {instr.keyword_raw} to prevent unintended "
                "behavior related to OS signals"
            )
            yield self.finding(ctx, instr, msg, fix)


def _is_abs(path: str) -> bool:
    return path.startswith("/") or path.startswith("\\") or re.match(r"^[A-Za-z]:[\\/]", path) is not None


@register
class WorkdirRelativePath(Rule):
    """Relative workdir without an absolute workdir declared within the build can have unexpected results if the base image changes.

    ## What it does
    Flags the first `WORKDIR` of a stage when its path is relative and no earlier
    `WORKDIR` was set in that stage or in the earlier stage it is built `FROM`. Variables in
    the path are expanded first with the stage's ARG/ENV values; a path using a variable
    without a value CODI knows (e.g. one set by the base image) is not reported.

    ## Why is this bad?
    A relative `WORKDIR` is resolved against the base image's working directory, which is
    not part of your Dockerfile and can change when the base image is updated.

    ## Example
    ```dockerfile
    FROM node:20-slim
    WORKDIR app
    ```

    ## Use instead
    ```dockerfile
    FROM node:20-slim
    WORKDIR /app
    ```

    ## References
    - https://docs.docker.com/reference/build-checks/workdir-relative-path/
    """

    code = "BK010"
    name = "WorkdirRelativePath"
    severity = Severity.WARNING

    def check(self, ctx: RuleContext) -> Iterable[Finding]:
        has_workdir: dict[int, bool] = {}
        for stage in ctx.model.stages:
            parent = stage.base_stage
            set_before = has_workdir.get(parent, False) if parent is not None else False
            for instr in stage.instructions:
                if instr.keyword != "WORKDIR" or not instr.args:
                    continue
                if not set_before:
                    raw = instr.args[0]
                    env = ctx.model.vars_at(instr)
                    used = variables_used(raw, ctx.dockerfile.escape)
                    # Quotes are removed and variables expanded as BuildKit does; a path
                    # using a variable without a known value cannot be judged.
                    if all(env.get(v) is not None for v in used):
                        path = expand(raw, env, ctx.dockerfile.escape)
                        if not _is_abs(path):
                            msg = f"Relative workdir {json.dumps(path)} can have unexpected results if the base image changes"
                            yield self.finding(ctx, instr, msg)
                set_before = True
            has_workdir[stage.index] = set_before


_SINGLETONS = ("CMD", "ENTRYPOINT", "HEALTHCHECK")


@register
class MultipleInstructionsDisallowed(Rule):
    """Multiple instructions of the same type should not be used in the same stage.

    ## What it does
    Flags a `CMD`, `ENTRYPOINT` or `HEALTHCHECK` that is followed by another instruction of
    the same type in the same stage; the earlier one, which has no effect, is reported.
    The `CMD` inside `HEALTHCHECK ... CMD` does not count.

    ## Why is this bad?
    An image has one command, one entrypoint and one health check: only the last instruction
    of each kind is used, so the earlier ones are dead code that misleads readers.
    hadolint's DL4003/DL4004/DL3012 report similar cases.

    ## Example
    ```dockerfile
    FROM alpine
    CMD echo "Hello, Norway!"
    CMD echo "Hello, Sweden!"
    ```

    ## Use instead
    ```dockerfile
    FROM alpine
    CMD echo "Hello, Norway!"; echo "Hello, Sweden!"
    ```

    ## References
    - https://docs.docker.com/reference/build-checks/multiple-instructions-disallowed/
    """

    code = "BK012"
    name = "MultipleInstructionsDisallowed"
    severity = Severity.WARNING

    def check(self, ctx: RuleContext) -> Iterable[Finding]:
        for stage in ctx.model.stages:
            last: dict[str, Instruction] = {}
            for instr in stage.instructions:
                if instr.keyword not in _SINGLETONS:
                    continue
                previous = last.get(instr.keyword)
                if previous is not None:
                    msg = (
                        f"Multiple {instr.keyword_raw} instructions should not be used in the same stage "
                        "because only the last one will be used"
                    )
                    yield self.finding(ctx, previous, msg)
                last[instr.keyword] = instr
