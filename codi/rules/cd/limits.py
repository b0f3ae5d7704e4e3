"""CD0003 and CD0004: a part of the file CODI did not check because it passed one of CODI's limits."""

from __future__ import annotations

from collections.abc import Iterable

from codi.rules.base import Finding, Rule, RuleContext, Severity
from codi.rules.registry import register


@register
class ExpansionLimitRule(Rule):
    """A variable's value was not worked out: expanding it passed one of CODI's limits.

    ## What it does
    Reports the `ARG`, `ENV` or `FROM` line whose `$VARIABLE` expansion CODI stopped: a word that
    would expand to more than 65,535 characters (the longest line BuildKit reads), `${...}`
    nested more than 32 levels deep inside a default (`${A:-${B:-...}}`), or a file whose
    expansions together pass a budget linear in the file's size (4 Mi characters plus 4 per
    character of the file). The value is then *unknown* to every rule, as if it named a variable
    without a value, so checks that need it (the base image, a path, a user) do not run on it.

    The limits keep a small hostile file from taking the machine: an `ARG` chain where each
    value is the previous one ten times is 2.7 KB of text and gigabytes of value.

    ## Why is this bad?
    A lint that skipped part of a file must not look like a pass. BuildKit itself would build
    such values (they are rarely what the author meant), but CODI cannot check them.

    ## Example
    ```dockerfile
    FROM alpine:3.20
    ARG A=lol
    ARG B=$A$A$A$A$A$A$A$A$A$A
    ARG C=$B$B$B$B$B$B$B$B$B$B
    # ... each one ten times the one before
    ```

    ## Use instead
    Values of a sensible size, defaults nested a few levels at most.

    ## References
    - [Dockerfile reference: environment replacement](https://docs.docker.com/reference/dockerfile/#environment-replacement)
    """

    code = "CD0003"
    name = "expansion-limit"
    severity = Severity.ERROR

    def check(self, ctx: RuleContext) -> Iterable[Finding]:
        # The engine reports these from the model (ctx.model.limits), whatever rules are selected.
        return ()


@register
class ShellCheckGaveUp(Rule):
    """ShellCheck gave up on this `RUN` script: it passed the time or memory limit, or failed.

    ## What it does
    Every ShellCheck process runs under a time limit and an address-space limit
    (`CODI_SHELLCHECK_TIMEOUT`, seconds per script, default 10; `CODI_SHELLCHECK_MEMORY_MB`,
    default 512). When a batch of scripts passes one (or ShellCheck fails in another way),
    each script of the batch is checked again on its own; the script that still fails is
    reported here, on its `RUN` line, with the reason. Its SC findings are missing.

    A `RUN` with thousands of commands chained by `&&`, or `$(` and `if` nested thousands
    deep, takes ShellCheck minutes and gigabytes.

    ## Why is this bad?
    A script that was not checked must not look like a script that passed. Split such a script
    (a `RUN` per step, or a script file copied into the image and run from there).

    ## Example
    ```dockerfile
    FROM alpine:3.20
    RUN step1 && step2 && ... && step3000
    ```

    ## Use instead
    ```dockerfile
    FROM alpine:3.20
    COPY build.sh /tmp/build.sh
    RUN sh /tmp/build.sh
    ```

    ## References
    - https://github.com/koalaman/shellcheck
    """

    code = "CD0004"
    name = "shellcheck-gave-up"
    severity = Severity.ERROR

    def check(self, ctx: RuleContext) -> Iterable[Finding]:
        # The ShellCheck batch rule reports these under this code.
        return ()
