"""DL rules about zypper in RUN scripts (openSUSE and SLES images)."""

from __future__ import annotations

from collections.abc import Iterator

from codi.parser.shell import Command
from codi.rules.base import Applicability, Finding, Rule, RuleContext, Severity
from codi.rules.dl.run_rpm_support import (
    VALUED,
    AssumeYesRule,
    CacheCleanRule,
    PinRule,
    rpm_call,
    zypper_is_pinned,
)
from codi.rules.dl.run_support import removes, shell_runs, split_args
from codi.rules.registry import register

_CHANGING = frozenset(
    [
        "install",
        "in",
        "remove",
        "rm",
        "update",
        "up",
        "dist-upgrade",
        "dup",
        "patch",
        "source-install",
        "si",
        "install-new-recommends",
        "inr",
    ]
)
_FILLING = frozenset(
    [
        "install",
        "in",
        "update",
        "up",
        "dist-upgrade",
        "dup",
        "patch",
        "source-install",
        "si",
        "install-new-recommends",
        "inr",
        "refresh",
        "ref",
    ]
)
_ZYPP_CACHE = ("/var/cache/zypp",)


@register
class ZypperNonInteractive(AssumeYesRule):
    """Use zypper non-interactively: `zypper --non-interactive install` or `zypper install -y`.

    ## What it does
    Flags zypper subcommands that change packages (`install`, `remove`, `update`,
    `dist-upgrade`, `patch`, ...) without the global `-n`/`--non-interactive` or the
    subcommand's `-y`/`--no-confirm`.

    ## Why is this bad?
    A build has no terminal: at the "Continue? [y/n/v/...?]" prompt zypper reads end of
    input and aborts the build.

    ## Example
    ```dockerfile
    RUN zypper install curl=8.6.0 && zypper clean
    ```

    ## Use instead
    ```dockerfile
    RUN zypper install -y curl=8.6.0 && zypper clean
    ```

    ## Fix safety
    Safe: adds `-y` after the subcommand; a build that succeeded before gives the same image.

    ## References
    - [hadolint DL3034](https://github.com/hadolint/hadolint/wiki/DL3034)
    """

    code = "DL3034"
    name = "zypper-non-interactive"
    severity = Severity.WARNING
    fix_applicability = Applicability.SAFE
    tools = ("zypper",)
    subcommands = _CHANGING
    yes_flags = ("-n", "--non-interactive", "-y", "--no-confirm")
    message = "Non-interactive switch missing from `zypper` command: `zypper install -y`"


@register
class ZypperDistUpgrade(Rule):
    """Do not use `zypper dist-upgrade` in a Dockerfile.

    ## What it does
    Flags `zypper dist-upgrade` and its short form `zypper dup`.

    ## Why is this bad?
    A distribution upgrade can replace the base image's release with another one: the
    image no longer matches its tag and rebuilds are unpredictable. Use a newer base image
    instead, or `zypper patch`/`zypper update` for fixes.

    ## Example
    ```dockerfile
    RUN zypper dist-upgrade -y && zypper clean
    ```

    ## Use instead
    ```dockerfile
    FROM opensuse/leap:15.6
    ```

    ## References
    - [hadolint DL3035](https://github.com/hadolint/hadolint/wiki/DL3035)
    """

    code = "DL3035"
    name = "zypper-dist-upgrade"
    severity = Severity.WARNING

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        for run in shell_runs(ctx):
            if any(rpm_call(c)[0] in ("dist-upgrade", "dup") for c in run.named("zypper")):
                yield self.finding(ctx, run.instr, "Do not use `zypper dist-upgrade`")


@register
class ZypperClean(CacheCleanRule):
    """Run `zypper clean` after installing packages with zypper.

    ## What it does
    Flags a RUN that installs, updates or refreshes with zypper and does not run
    `zypper clean` (`zypper cc`) or remove `/var/cache/zypp` after it in the same RUN,
    unless the cache is a cache mount. Only stages whose files reach the final image are
    checked. hadolint does not accept `rm -rf /var/cache/zypp`, which removes the same files.

    ## Why is this bad?
    zypper keeps repository metadata and downloaded packages under `/var/cache/zypp`;
    removed in a later RUN they still take space in this layer.

    ## Example
    ```dockerfile
    RUN zypper install -y curl=8.6.0
    ```

    ## Use instead
    ```dockerfile
    RUN zypper install -y curl=8.6.0 && zypper clean --all
    ```

    ## Fix safety
    Safe: appends `&& zypper clean --all` to the RUN; only caches are removed.

    ## References
    - [hadolint DL3036](https://github.com/hadolint/hadolint/wiki/DL3036)
    """

    code = "DL3036"
    name = "zypper-clean"
    severity = Severity.WARNING
    fix_applicability = Applicability.SAFE
    tools = ("zypper",)
    subcommands = _FILLING
    cache_paths = _ZYPP_CACHE
    message = "`zypper clean` missing after zypper use"

    def cleans(self, cmd: Command) -> bool:
        if cmd.name == "zypper":
            _, operands = split_args(cmd, VALUED)
            return bool(operands) and operands[0].text in ("clean", "cc")
        return removes(cmd, *_ZYPP_CACHE)

    def clean_command(self, tool: str) -> str:
        return "zypper clean --all"


@register
class ZypperPinVersions(PinRule):
    """Pin versions in `zypper install`.

    ## What it does
    Flags `zypper install` of a package without a version (`curl=8.6.0`, or a quoted
    constraint such as `"curl>=8"`). Local `.rpm` files and paths are not flagged. Packages
    given through `ARG`/`ENV` values are expanded; values known only at build time are not
    guessed at.

    ## Why is this bad?
    An unpinned package is whatever the repository has on the day of the build, so rebuilds
    are not reproducible.

    ## Example
    ```dockerfile
    RUN zypper install -y curl && zypper clean
    ```

    ## Use instead
    ```dockerfile
    RUN zypper install -y curl=8.6.0 && zypper clean
    ```

    ## References
    - [hadolint DL3037](https://github.com/hadolint/hadolint/wiki/DL3037)
    """

    code = "DL3037"
    name = "zypper-pin-versions"
    severity = Severity.WARNING
    tools = ("zypper",)
    subcommands = frozenset(["install", "in"])
    message = "Specify version with `zypper install -y <package>=<version>`"

    def pinned(self, value: str, sub: str) -> bool:
        return zypper_is_pinned(value, sub)
