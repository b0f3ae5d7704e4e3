"""DL rules about apt-get switches and the apt front end in RUN scripts."""

from __future__ import annotations

from collections.abc import Iterator

from codi.rules.base import Applicability, Finding, Fix, Rule, RuleContext, Severity
from codi.rules.dl.run_apt import PROMPTING, apt_call, apt_options, assumes_yes
from codi.rules.dl.run_edits import insert_after_word, replace_word
from codi.rules.dl.run_support import shell_runs
from codi.rules.registry import register


@register
class AptGetYes(Rule):
    """Use the `-y` switch with `apt-get install`.

    ## What it does
    Flags `apt-get` commands that change packages (`install`, `upgrade`, `dist-upgrade`,
    `remove`, `purge`, `autoremove`, `build-dep`, `reinstall`) without `-y`/`--yes`/
    `--assume-yes`, quiet level 2 (`-qq`, which implies `-y`) or
    `-o APT::Get::Assume-Yes=true`. hadolint only checks `install`; the others prompt the
    same way and abort a build just as well.

    ## Why is this bad?
    A build has no terminal: when apt-get asks "Do you want to continue?" it reads end of
    input and aborts, so the build fails whenever a dependency is added.

    ## Example
    ```dockerfile
    RUN apt-get install curl=7.88.1-10+deb12u5
    ```

    ## Use instead
    ```dockerfile
    RUN apt-get install -y curl=7.88.1-10+deb12u5
    ```

    ## Fix safety
    Safe: adds `-y` after the subcommand. A build that succeeded before gives the same
    image; one that would have stopped at the prompt now goes on.

    ## References
    - [hadolint DL3014](https://github.com/hadolint/hadolint/wiki/DL3014)
    """

    code = "DL3014"
    name = "apt-get-yes"
    severity = Severity.WARNING
    fix_applicability = Applicability.SAFE

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        for run in shell_runs(ctx):
            edits = []
            found = False
            for c in run.named("apt-get"):
                sub, word, _ = apt_call(c)
                if sub in PROMPTING and word is not None and not assumes_yes(c):
                    found = True
                    edit = insert_after_word(ctx, run.instr, c, word.index, " -y")
                    if edit:
                        edits.append(edit)
            if found:
                fix = Fix("Add -y to apt-get", Applicability.SAFE, edits) if edits else None
                yield self.finding(
                    ctx,
                    run.instr,
                    "Use the `-y` switch to avoid manual input: `apt-get -y install <package>`",
                    fix,
                )


@register
class AptGetNoInstallRecommends(Rule):
    """Avoid additional packages by specifying `--no-install-recommends`.

    ## What it does
    Flags `apt-get install` without `--no-install-recommends` (or
    `-o APT::Install-Recommends=false`).

    ## Why is this bad?
    By default apt also installs every package the requested ones merely *recommend*:
    often documentation, X11 libraries or compilers that add tens or hundreds of megabytes.

    ## Example
    ```dockerfile
    RUN apt-get install -y curl=7.88.1-10+deb12u5
    ```

    ## Use instead
    ```dockerfile
    RUN apt-get install -y --no-install-recommends curl=7.88.1-10+deb12u5
    ```

    ## Fix safety
    Unsafe: the image loses the recommended packages, which something may rely on.

    ## References
    - [hadolint DL3015](https://github.com/hadolint/hadolint/wiki/DL3015)
    """

    code = "DL3015"
    name = "apt-get-no-install-recommends"
    severity = Severity.INFO
    fix_applicability = Applicability.UNSAFE

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        for run in shell_runs(ctx):
            edits = []
            found = False
            for c in run.named("apt-get"):
                sub, word, _ = apt_call(c)
                if sub != "install" or word is None or c.cmd.has_flag("--no-install-recommends"):
                    continue
                if any(
                    v.startswith("apt::install-recommends=")
                    and v.split("=", 1)[1].strip("\"'") in ("false", "0", "no", "off")
                    for v in apt_options(c)
                ):
                    continue
                found = True
                edit = insert_after_word(ctx, run.instr, c, word.index, " --no-install-recommends")
                if edit:
                    edits.append(edit)
            if found:
                fix = Fix("Add --no-install-recommends", Applicability.UNSAFE, edits) if edits else None
                yield self.finding(
                    ctx, run.instr, "Avoid additional packages by specifying `--no-install-recommends`", fix
                )


# apt subcommands that apt-get has with the same meaning (apt upgrade/full-upgrade differ)
_APT_GET_SAME = frozenset(
    [
        "install",
        "reinstall",
        "remove",
        "purge",
        "update",
        "autoremove",
        "build-dep",
        "source",
        "clean",
        "autoclean",
        "download",
        "satisfy",
    ]
)


@register
class AptNotAptGet(Rule):
    """Do not use `apt` in scripts: use `apt-get` or `apt-cache`.

    ## What it does
    Flags any `apt` command in a RUN.

    ## Why is this bad?
    `apt` is the interactive front end: its output and defaults may change between
    releases and it warns that it "does not have a stable CLI interface". `apt-get` and
    `apt-cache` are the stable, scriptable tools.

    ## Example
    ```dockerfile
    RUN apt update && apt install -y curl
    ```

    ## Use instead
    ```dockerfile
    RUN apt-get update && apt-get install -y curl
    ```

    ## Fix safety
    Unsafe: replaces `apt` with `apt-get` for subcommands both have (`install`, `update`,
    `remove`, ...). `apt` deletes downloaded `.deb` files after installing and `apt-get` keeps
    them unless the image cleans them, so the image can differ. `apt upgrade` (which also
    installs new dependencies) and `apt list`/`search`/`show` get no fix.

    ## References
    - [hadolint DL3027](https://github.com/hadolint/hadolint/wiki/DL3027)
    """

    code = "DL3027"
    name = "apt-not-apt-get"
    severity = Severity.WARNING
    fix_applicability = Applicability.UNSAFE

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        for run in shell_runs(ctx):
            apts = run.named("apt")
            if not apts:
                continue
            edits = []
            for c in apts:
                raw = c.cmd.raw_words[0]
                if apt_call(c)[0] in _APT_GET_SAME and raw.endswith("apt"):
                    edit = replace_word(ctx, run.instr, c, 0, raw + "-get")
                    if edit:
                        edits.append(edit)
            fix = (
                Fix("Use apt-get instead of apt", Applicability.UNSAFE, edits)
                if len(edits) == len(apts)
                else None
            )
            yield self.finding(
                ctx,
                run.instr,
                "Do not use apt as it is meant to be an end-user tool, use apt-get or apt-cache instead",
                fix,
            )
