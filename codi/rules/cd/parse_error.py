"""CD0001: the file is not a valid Dockerfile (reported by the engine, not by ``check``)."""

from __future__ import annotations

from collections.abc import Iterable

from codi.rules.base import Finding, Rule, RuleContext, Severity
from codi.rules.registry import register


@register
class ParseErrorRule(Rule):
    """The Dockerfile cannot be parsed, so no other rule can check it.

    ## What it does
    Reports a file that BuildKit's Dockerfile frontend would reject before building anything:
    an empty file or one with only comments, an instruction without its required arguments
    (`ENV` with no value), a heredoc whose terminator never comes, a nested JSON array in
    `CMD`, an unknown instruction, and so on. The finding points at the line where the
    parser gave up and carries its message.

    When a file does not parse, this is the only finding for it: every other rule needs the
    parsed instructions. The other files of the same `codi lint` run are still checked.

    ## Why is this bad?
    `docker build` fails on this file at once, so the image cannot be built at all, and no
    lint rule can tell you anything else about it until the syntax error is fixed.

    ## Example
    ```dockerfile
    FROM alpine:3.20
    ENV APP_HOME
    RUN <<EOF
    echo "the heredoc is never closed"
    ```

    ## Use instead
    ```dockerfile
    FROM alpine:3.20
    ENV APP_HOME=/srv/app
    RUN <<EOF
    echo "closed properly"
    EOF
    ```

    ## References
    - [Dockerfile reference](https://docs.docker.com/reference/dockerfile/)
    """

    code = "CD0001"
    name = "parse-error"
    severity = Severity.ERROR

    def check(self, ctx: RuleContext) -> Iterable[Finding]:
        # A file that reaches the rules has parsed; the engine reports the failures itself.
        return ()


@register
class InternalErrorRule(Rule):
    """CODI failed while checking the file: the result is incomplete, so the lint fails.

    ## What it does
    Not a finding about your Dockerfile: a rule, the parser or ShellCheck's runner raised an error
    (a bug in CODI, or a resource limit such as memory running out). The findings of the other
    rules are still reported, and the lint *fails* rather than passes: `codi lint` exits 3,
    the API answers `failed: true` with the error in `errors`, SARIF has
    `executionSuccessful: false` with a `toolExecutionNotifications` entry, JUnit an `<error>`,
    and the other formats an entry with this code. No selection or threshold turns it off.

    ## Why is this bad?
    A check that did not run is not a check that passed: CI must not go green on it.

    ## Use instead
    Report the error (with `CODI_DEBUG=1` for the traceback); meanwhile `--ignore` the rule the
    error names to lint without it.

    ## References
    - [SARIF 2.1.0: tool execution notifications](https://docs.oasis-open.org/sarif/sarif/v2.1.0/sarif-v2.1.0.html),
      where this error goes in SARIF; CODI's README, "Exit codes"
    """

    code = "CD0000"
    name = "internal-error"
    severity = Severity.ERROR

    def check(self, ctx: RuleContext) -> Iterable[Finding]:
        # Never a finding of a file: the engine records failures in LintResult.errors.
        return ()
