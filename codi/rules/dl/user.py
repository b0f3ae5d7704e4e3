"""DL rules about the USER the container runs as."""

from __future__ import annotations

from collections.abc import Iterator

from codi.parser.model import Instruction
from codi.rules.base import Finding, Rule, RuleContext, Severity
from codi.rules.dl.kvpairs import resolve
from codi.rules.registry import register


def _user_name(ctx: RuleContext, instr: Instruction) -> str | None:
    """The user part of ``USER user[:group]`` as the build sees it; None when it uses a
    variable with no known value."""
    if not instr.args:
        return None
    value = resolve(instr.args[0], ctx.model.vars_at(instr), ctx.dockerfile.escape)
    if value is None:
        return None
    return value.strip().partition(":")[0]


@register
class LastUserRoot(Rule):
    """The last `USER` of a stage should not be root.

    ## What it does
    As hadolint does, flags the last `USER` instruction of each stage when it is `root` or `0`
    (the user part; `ARG`/`ENV` values substituted). A stage with no `USER` of its own is not
    flagged. Builder stages are checked too: users migrating from hadolint keep the same
    findings (suppress one with `# hadolint ignore=DL3002` where a build stage needs root).
    Unlike hadolint, `USER $NAME` is resolved instead of being guessed.

    ## Why is this bad?
    A container running as root turns any code-execution bug into root on the container and a
    shorter path to the host.

    ## Example
    ```dockerfile
    FROM debian:12
    USER root
    CMD ["/app"]
    ```

    ## Use instead
    ```dockerfile
    FROM debian:12
    RUN useradd --system --uid 10001 app
    USER 10001
    CMD ["/app"]
    ```

    ## References
    - [hadolint DL3002](https://github.com/hadolint/hadolint/wiki/DL3002)
    """

    code = "DL3002"
    name = "last-user-not-root"
    severity = Severity.WARNING

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        for stage in ctx.model.stages:
            users = [i for i in stage.instructions if i.keyword == "USER"]
            if users and _user_name(ctx, users[-1]) in ("root", "0"):
                yield self.finding(ctx, users[-1], "Last USER should not be root")


@register
class NonNumericUser(Rule):
    """Non-numeric user id may not be resolvable by the host system.

    ## What it does
    Flags `USER name` (user part not a number), after substituting `ARG`/`ENV` values.
    A `USER` whose variable has no known value is not flagged. hadolint never reads the
    variable: it flags `USER $APP_UID` even when the value is numeric (and misses
    `ARG user=jenkins` + `USER ${user}`).

    ## Why is this bad?
    Kubernetes' `runAsNonRoot` and similar host-side checks only understand numeric ids: with
    a name they cannot prove the user is not root and refuse to start the container.

    ## Example
    ```dockerfile
    USER app
    ```

    ## Use instead
    ```dockerfile
    USER 10001:10001
    ```

    ## References
    - [hadolint DL3066](https://github.com/hadolint/hadolint/wiki/DL3066)
    """

    code = "DL3066"
    name = "numeric-user"
    severity = Severity.INFO

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        for instr in ctx.instructions("USER"):
            name = _user_name(ctx, instr)
            if name is not None and not (name.isascii() and name.isdigit()):
                yield self.finding(ctx, instr, "Non-numeric user-id may not be resolvable by host system")
