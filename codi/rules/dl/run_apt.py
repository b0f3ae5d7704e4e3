"""DL rules about apt-get and apt in RUN scripts (Debian and Ubuntu images)."""

from __future__ import annotations

from collections.abc import Iterator

from codi.parser.shell import Command, parse_script
from codi.rules.base import Applicability, Finding, Fix, Rule, RuleContext, Severity
from codi.rules.dl.run_edits import append_to_run
from codi.rules.dl.run_support import (
    POSIX_SHELLS,
    Cmd,
    Word,
    image_stages,
    iter_operands,
    mounts_cache,
    removes,
    shell_runs,
    split_args,
)
from codi.rules.registry import register

_VALUED = frozenset(
    [
        "-o",
        "-c",
        "-t",
        "-a",
        "--option",
        "--config-file",
        "--target-release",
        "--default-release",
        "--host-architecture",
    ]
)
# subcommands that ask "Do you want to continue?" when they change packages
PROMPTING = frozenset(
    ["install", "reinstall", "upgrade", "dist-upgrade", "remove", "purge", "autoremove", "build-dep"]
)
_TRUE = ("true", "1", "yes", "on")


def apt_call(c: Cmd) -> tuple[str | None, Word | None, list[Word]]:
    """(subcommand, its word, package operands) of an apt-get/apt command."""
    _, operands = split_args(c.cmd, _VALUED)
    if not operands:
        return None, None, []
    return operands[0].text, operands[0], operands[1:]


def apt_options(c: Cmd) -> list[str]:
    """``-o Name=value`` settings, lower-cased."""
    values: list[str] = []
    argv = c.cmd.argv
    for i, word in enumerate(argv):
        if word in ("-o", "--option") and i + 1 < len(argv):
            values.append(argv[i + 1].lower())
        elif word.startswith(("--option=", "-o")) and word not in ("-o", "--option"):
            values.append(word.split("=", 1)[1].lower() if word.startswith("--option=") else word[2:].lower())
    return values


def _option_true(c: Cmd, name: str) -> bool:
    prefix = name.lower() + "="
    return any(v.startswith(prefix) and v[len(prefix) :].strip("\"'") in _TRUE for v in apt_options(c))


def assumes_yes(c: Cmd) -> bool:
    """``-y``/``--yes``/``--assume-yes``, quiet level 2 (``-qq``, ``-q=2``, which implies
    ``-y``) or ``-o APT::Get::Assume-Yes=true``."""
    cmd = c.cmd
    if cmd.has_flag("-y", "--yes", "--assume-yes"):
        return True
    for word in cmd.argv[1:]:
        if word == "--":
            break
        if word.startswith("-") and not word.startswith("--") and word[1:].isalpha() and word.count("q") >= 2:
            return True
        if word in ("-q=2", "--quiet=2"):
            return True
    return _option_true(c, "APT::Get::Assume-Yes")


@register
class AptGetPinVersions(Rule):
    """Pin versions in `apt-get install`.

    ## What it does
    Flags `apt-get install` of a package without a version (`pkg=1.2.3`) or a release
    (`pkg/bookworm-backports`). Local `.deb` files count as pinned.

    ## Why is this bad?
    An unpinned package is whatever the mirror has on the day of the build: the same
    Dockerfile gives different images, and an upstream change can break a rebuild.

    Unlike hadolint, CODI expands packages given through `ARG`/`ENV` values
    (`apt-get install $PKGS` with `ARG PKGS="curl=8.5.0-2"` is pinned) and through plain
    assignments earlier in the script (`deps='curl git' && apt-get install $deps` names the
    unpinned `curl, git`, where hadolint reports the word `$deps` itself), and stays silent
    when a value is only known at build time (an `ARG` without a default, a command
    substitution): it cannot see the value, so it does not guess.

    ## Example
    ```dockerfile
    RUN apt-get update && apt-get install -y curl
    ```

    ## Use instead
    ```dockerfile
    RUN apt-get update && apt-get install -y curl=7.88.1-10+deb12u5
    ```

    ## References
    - [hadolint DL3008](https://github.com/hadolint/hadolint/wiki/DL3008)
    """

    code = "DL3008"
    name = "apt-get-pin-versions"
    severity = Severity.WARNING

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        for run in shell_runs(ctx):
            unpinned: list[str] = []
            for c in run.named("apt-get"):
                sub, _, packages = apt_call(c)
                if sub != "install":
                    continue
                for _, value in iter_operands(ctx, run, packages):
                    if value and "=" not in value and "/" not in value and not value.endswith(".deb"):
                        unpinned.append(value)
            if unpinned:
                yield self.finding(
                    ctx,
                    run.instr,
                    f"Pin versions in apt-get install ({', '.join(unpinned)}): "
                    "use `apt-get install <package>=<version>`",
                )


def _removes_lists(cmd: Command) -> bool:
    """``rm`` of the lists, also inside ``sh -c "... && rm -rf /var/lib/apt/lists/*"``."""
    if removes(cmd, "/var/lib/apt/lists"):
        return True
    if cmd.name in POSIX_SHELLS and "-c" in cmd.args[:-1]:
        inner = parse_script(cmd.args[cmd.args.index("-c") + 1])
        return any(removes(c.unwrapped(), "/var/lib/apt/lists") for c in inner.commands)
    return False


@register
class AptListsNotDeleted(Rule):
    """Delete the apt lists after `apt-get update`.

    ## What it does
    Flags a RUN that runs `apt-get update` (or `apt update`) and does not remove
    `/var/lib/apt/lists` later in the same RUN (also inside a `bash -c "..."` there),
    unless the lists are on a cache mount. The removal must come after the *last*
    `apt-get update` of the RUN: hadolint accepts an `rm` anywhere, even one followed by a
    new `apt-get update` that fetches the lists again.
    Only stages whose files reach the final image are checked (the final stage and the
    stages it is built FROM); hadolint also checks a stage that only builder stages are
    built FROM, whose lists never reach the image.

    ## Why is this bad?
    The package lists are tens of megabytes that the running container never needs. Removed
    in a later RUN they still take space in the earlier layer.

    ## Example
    ```dockerfile
    RUN apt-get update && apt-get install -y --no-install-recommends curl=7.88.1-10+deb12u5
    ```

    ## Use instead
    ```dockerfile
    RUN apt-get update \\
     && apt-get install -y --no-install-recommends curl=7.88.1-10+deb12u5 \\
     && rm -rf /var/lib/apt/lists/*
    ```

    ## Fix safety
    Safe: appends `&& rm -rf /var/lib/apt/lists/*` to the RUN; only a cache is removed.

    ## References
    - [hadolint DL3009](https://github.com/hadolint/hadolint/wiki/DL3009)
    """

    code = "DL3009"
    name = "apt-lists-not-deleted"
    severity = Severity.INFO
    fix_applicability = Applicability.SAFE

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        keep = image_stages(ctx)
        for run in shell_runs(ctx):
            if run.stage is None or run.stage.index not in keep:
                continue
            if mounts_cache(run.instr, "/var/lib/apt/lists", "/var/lib/apt"):
                continue
            updates = [c for c in run.named("apt-get", "apt") if apt_call(c)[0] == "update"]
            if not updates:
                continue
            later = run.after(updates[-1])
            if any(_removes_lists(c.cmd) for c in later):
                continue
            edit = append_to_run(ctx, run, "rm -rf /var/lib/apt/lists/*")
            fix = (
                Fix("Delete /var/lib/apt/lists at the end of the RUN", Applicability.SAFE, [edit])
                if edit
                else None
            )
            yield self.finding(
                ctx, run.instr, "Delete the apt lists (/var/lib/apt/lists) after apt-get update", fix=fix
            )
