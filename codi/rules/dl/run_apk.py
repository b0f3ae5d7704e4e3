"""DL rules about apk (Alpine's package manager) in RUN scripts."""

from __future__ import annotations

from collections.abc import Iterator

from codi.rules.base import Applicability, Edit, Finding, Fix, Rule, RuleContext, Severity
from codi.rules.dl.run_edits import insert_after_word
from codi.rules.dl.run_support import (
    Cmd,
    Word,
    image_stages,
    iter_operands,
    mounts_cache,
    shell_runs,
    split_args,
)
from codi.rules.registry import register

_VALUED = frozenset(
    [
        "-t",
        "--virtual",
        "-X",
        "--repository",
        "-p",
        "--root",
        "--arch",
        "--keys-dir",
        "--cache-dir",
        "--repositories-file",
        "--cache-max-age",
        "--timeout",
    ]
)


def apk_add(c: Cmd) -> tuple[Word, list[Word]] | None:
    """(the ``add`` word, package operands) of ``apk [opts] add [opts] pkgs``; None otherwise."""
    _, operands = split_args(c.cmd, _VALUED)
    if not operands or operands[0].text != "add":
        return None
    return operands[0], operands[1:]


@register
class ApkPinVersions(Rule):
    """Pin versions in `apk add`.

    ## What it does
    Flags `apk add` of a package without a version constraint (`pkg=1.2.3-r0`,
    `pkg~1.2`, `"pkg>=1.2"`). Local `.apk` files count as pinned; `--virtual` names are
    not packages.

    ## Why is this bad?
    An unpinned package is whatever the Alpine mirror has on the day of the build, so
    rebuilds are not reproducible.

    Unlike hadolint, CODI expands packages given through `ARG`/`ENV` values and stays
    silent when a value is only known at build time instead of guessing.

    ## Example
    ```dockerfile
    RUN apk add --no-cache curl
    ```

    ## Use instead
    ```dockerfile
    RUN apk add --no-cache curl=8.5.0-r0
    ```

    ## References
    - [hadolint DL3018](https://github.com/hadolint/hadolint/wiki/DL3018)
    """

    code = "DL3018"
    name = "apk-add-pin-versions"
    severity = Severity.WARNING

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        for run in shell_runs(ctx):
            unpinned: list[str] = []
            for c in run.named("apk"):
                call = apk_add(c)
                if call is None:
                    continue
                for _, value in iter_operands(ctx, run, call[1]):
                    if value and not any(ch in value for ch in "=~<>") and not value.endswith(".apk"):
                        unpinned.append(value)
            if unpinned:
                yield self.finding(
                    ctx,
                    run.instr,
                    f"Pin versions in apk add ({', '.join(unpinned)}): use `apk add <package>=<version>`",
                )


@register
class ApkNoCache(Rule):
    """Use `apk add --no-cache` instead of keeping the package index in the image.

    ## What it does
    Flags `apk add` without `--no-cache`, unless `/var/cache/apk` is a cache mount. Only
    stages whose files reach the final image are checked (the final stage and the stages it
    is built FROM); hadolint checks every stage.

    ## Why is this bad?
    Without `--no-cache` (and with `--update`/`apk update`) apk leaves its package index
    under `/var/cache/apk` in the layer. `--no-cache` fetches it to a temporary place and
    needs no `rm -rf /var/cache/apk/*`.

    ## Example
    ```dockerfile
    RUN apk add --update curl=8.5.0-r0
    ```

    ## Use instead
    ```dockerfile
    RUN apk add --no-cache curl=8.5.0-r0
    ```

    ## Fix safety
    Safe: adds `--no-cache` after `add`; only the package index cache is left out.

    ## References
    - [hadolint DL3019](https://github.com/hadolint/hadolint/wiki/DL3019)
    """

    code = "DL3019"
    name = "apk-add-no-cache"
    severity = Severity.INFO
    fix_applicability = Applicability.SAFE

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        keep = image_stages(ctx)
        for run in shell_runs(ctx):
            if run.stage is None or run.stage.index not in keep:
                continue
            if mounts_cache(run.instr, "/var/cache/apk", "/etc/apk/cache"):
                continue
            edits: list[Edit] = []
            found = False
            for c in run.named("apk"):
                call = apk_add(c)
                if call is None or c.cmd.has_flag("--no-cache"):
                    continue
                found = True
                edit = insert_after_word(ctx, run.instr, c, call[0].index, " --no-cache")
                if edit:
                    edits.append(edit)
            if found:
                fix = Fix("Add --no-cache to apk add", Applicability.SAFE, edits) if edits else None
                yield self.finding(
                    ctx,
                    run.instr,
                    "Use the `--no-cache` switch to avoid the need to use `--update` and remove "
                    "`/var/cache/apk/*` when done installing packages",
                    fix,
                )
