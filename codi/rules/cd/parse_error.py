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
