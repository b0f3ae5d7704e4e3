"""CD0002: an ignore pragma that silences nothing (reported by the engine, not by ``check``)."""

from __future__ import annotations

from collections.abc import Iterable

from codi.rules.base import Finding, Rule, RuleContext, Severity
from codi.rules.registry import register

CODE = "CD0002"
NAME = "unused-suppression"


@register
class UnusedSuppression(Rule):
    """An ignore pragma names a code that has no finding to silence (off by default).

    ## What it does
    Flags each code of a `# hadolint ignore=...` or `# codi: ignore=...` comment (and of their
    `global ignore=` forms) that silenced no finding in this run: the instruction below no longer
    has that problem, the code is mistyped, or no rule has that code (`DL9999`). Codes of rules not
    selected in this run are left alone (nothing could have been silenced). As ruff's `RUF100`.

    Off by default: hadolint never reports pragmas, so files written for hadolint would suddenly
    fail. Turn it on with `--extend-select CD0002` (or `extend-select = ["CD0002"]`).

    ## Why is this bad?
    A stale pragma hides the next problem of that kind on the same instruction, and tells the
    reader about a problem that is no longer there.

    ## Example
    ```dockerfile
    FROM debian:12.5
    # hadolint ignore=DL3008
    RUN apt-get install -y --no-install-recommends curl=7.88.1-10
    ```

    ## Use instead
    ```dockerfile
    FROM debian:12.5
    RUN apt-get install -y --no-install-recommends curl=7.88.1-10
    ```

    ## References
    - [hadolint: ignoring rules](https://github.com/hadolint/hadolint#ignoring-rules)
    - [ruff: RUF100 unused-noqa](https://docs.astral.sh/ruff/rules/unused-noqa/)
    """

    code = CODE
    name = NAME
    severity = Severity.INFO
    enabled_by_default = False

    def check(self, ctx: RuleContext) -> Iterable[Finding]:
        # Whether a pragma was used is known only after every rule ran: the engine reports it.
        return ()
