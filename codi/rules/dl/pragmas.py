"""DL rules about the Dockerfile's own comments (pragmas)."""

from __future__ import annotations

import re
from collections.abc import Iterator

from codi.parser.model import Trivia
from codi.rules.base import Finding, Rule, RuleContext, Severity
from codi.rules.registry import register

# ``# hadolint ignore=DL3008`` and CODI's ``# codi: ignore=DL3008`` (not the ``global`` forms).
_INLINE_IGNORE = re.compile(r"^\s*#\s*(hadolint|codi\s*:)\s*ignore\s*=", re.IGNORECASE)


@register
class InlineIgnorePragma(Rule):
    """Please refrain from using inline ignore pragmas.

    ## What it does
    Flags `# hadolint ignore=...` and `# codi: ignore=...` comments. Off by default, as in
    hadolint: enable it in teams that want every exception to live in the shared config.

    ## Why is this bad?
    Inline pragmas silence findings where reviewers rarely look; a central `ignore` list in
    `.codi.toml` or `.hadolint.yaml` keeps exceptions visible and reviewable.

    ## Example
    ```dockerfile
    # hadolint ignore=DL3008
    RUN apt-get install -y curl
    ```

    ## Use instead
    ```dockerfile
    RUN apt-get install -y curl=7.88.1-10+deb12u8
    ```

    ## References
    - [hadolint DL1001](https://github.com/hadolint/hadolint/wiki/DL1001)
    """

    code = "DL1001"
    name = "no-inline-ignore"
    severity = Severity.INFO
    enabled_by_default = False

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        for node in ctx.dockerfile.nodes:
            if isinstance(node, Trivia) and node.kind != "blank" and _INLINE_IGNORE.match(node.text):
                yield self.finding(
                    ctx,
                    node.span,
                    "Please refrain from using inline ignore pragmas `# hadolint ignore=DLxxxx`.",
                )
