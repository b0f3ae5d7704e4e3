"""Shared checks for the RPM package managers (yum, dnf, microdnf, zypper) in RUN scripts.

Not a rule module: ``run_yum`` and ``run_zypper`` subclass these with their own tools,
codes and documentation.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import ClassVar

from codi.parser.shell import Command
from codi.rules.base import Applicability, Edit, Finding, Fix, Rule, RuleContext
from codi.rules.dl.run_edits import append_to_run, insert_after_word
from codi.rules.dl.run_support import (
    Cmd,
    Word,
    image_stages,
    iter_operands,
    mounts_cache,
    removes,
    shell_runs,
    split_args,
)

VALUED = frozenset(
    [
        "-c",
        "--config",
        "--enablerepo",
        "--disablerepo",
        "--repo",
        "--repoid",
        "--releasever",
        "--installroot",
        "-x",
        "--exclude",
        "--setopt",
        "--downloaddir",
        "--destdir",
        "-d",
        "--debuglevel",
        "-e",
        "--errorlevel",
        "--rpmverbosity",
        "--forcearch",
        "--color",
        "-R",
        "--root",
        "-D",
        "--reposd-dir",
        "-C",
        "--cache-dir",
        "--raw-cache-dir",
        "--solv-cache-dir",
        "--pkg-cache-dir",
        "-r",
        "--from",
        "-t",
        "--type",
    ]
)
_GROUPED = frozenset(["group", "groups", "module"])
CACHES = ("/var/cache/yum", "/var/cache/dnf", "/var/cache/libdnf5")
_VERSIONED = re.compile(r".-\d")


def rpm_call(c: Cmd) -> tuple[str | None, Word | None, list[Word]]:
    """(subcommand, its last word, operands) of a yum/dnf/zypper command; ``group install``
    and ``module install`` are one subcommand."""
    _, operands = split_args(c.cmd, VALUED)
    if not operands:
        return None, None, []
    sub = operands[0].text
    if sub in _GROUPED and len(operands) > 1:
        return f"{sub} {operands[1].text}", operands[1], operands[2:]
    return sub, operands[0], operands[1:]


def _is_local_or_group(value: str) -> bool:
    return value.startswith(("/", ".", "@", "~")) or value.endswith(".rpm") or "://" in value


def rpm_is_pinned(value: str, sub: str) -> bool:
    """yum/dnf: ``name-version`` (a dash before a digit); module streams ``name:stream``."""
    if sub.startswith("module"):
        return ":" in value
    return _is_local_or_group(value) or bool(_VERSIONED.search(value))


def zypper_is_pinned(value: str, sub: str) -> bool:
    """zypper: ``name=version`` or a quoted constraint ``"name>=version"``."""
    return _is_local_or_group(value) or any(ch in value for ch in "=<>")


class AssumeYesRule(Rule):
    """Base: a package-changing subcommand without the non-interactive switch."""

    tools: ClassVar[tuple[str, ...]]
    subcommands: ClassVar[frozenset[str]]
    yes_flags: ClassVar[tuple[str, ...]] = ("-y", "--assumeyes")
    insert: ClassVar[str] = " -y"
    message: ClassVar[str]

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        for run in shell_runs(ctx):
            edits: list[Edit] = []
            found = False
            for c in run.named(*self.tools):
                sub, word, _ = rpm_call(c)
                if sub not in self.subcommands or word is None or c.cmd.has_flag(*self.yes_flags):
                    continue
                found = True
                edit = insert_after_word(ctx, run.instr, c, word.index, self.insert)
                if edit:
                    edits.append(edit)
            if found:
                fix = Fix(f"Add{self.insert}", Applicability.SAFE, edits) if edits else None
                yield self.finding(ctx, run.instr, self.message, fix)


class CacheCleanRule(Rule):
    """Base: a command that fills the package cache with no clean-up after it in the RUN."""

    tools: ClassVar[tuple[str, ...]]
    subcommands: ClassVar[frozenset[str]]
    cache_paths: ClassVar[tuple[str, ...]] = CACHES
    message: ClassVar[str]

    def cleans(self, cmd: Command) -> bool:
        if cmd.name in ("yum", "dnf", "dnf5", "microdnf"):
            _, operands = split_args(cmd, VALUED)
            return [w.text for w in operands[:2]] == ["clean", "all"]
        return removes(cmd, *self.cache_paths)

    def clean_command(self, tool: str) -> str:
        return f"{tool} clean all"

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        keep = image_stages(ctx)
        for run in shell_runs(ctx):
            if run.stage is None or run.stage.index not in keep or mounts_cache(run.instr, *self.cache_paths):
                continue
            fills = [c for c in run.named(*self.tools) if rpm_call(c)[0] in self.subcommands]
            if not fills or any(self.cleans(c.cmd) for c in run.after(fills[-1])):
                continue
            edit = append_to_run(ctx, run, self.clean_command(fills[-1].name))
            fix = (
                Fix("Clean the package cache at the end of the RUN", Applicability.SAFE, [edit])
                if edit
                else None
            )
            yield self.finding(ctx, run.instr, self.message, fix)


class PinRule(Rule):
    """Base: packages installed without a version."""

    tools: ClassVar[tuple[str, ...]]
    subcommands: ClassVar[frozenset[str]]
    message: ClassVar[str]

    def pinned(self, value: str, sub: str) -> bool:
        return rpm_is_pinned(value, sub)

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        for run in shell_runs(ctx):
            unpinned: list[str] = []
            for c in run.named(*self.tools):
                sub, _, packages = rpm_call(c)
                if sub is None or sub not in self.subcommands:
                    continue
                for _, value in iter_operands(ctx, run, packages):
                    if value and not self.pinned(value, sub):
                        unpinned.append(value)
            if unpinned:
                yield self.finding(ctx, run.instr, f"{self.message} ({', '.join(unpinned)})")
