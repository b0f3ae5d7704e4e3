"""Fixes for DL3059 (merge consecutive RUNs) and DL4006 (SHELL with pipefail).

Not a rule module: the rules in ``instructions.py`` and ``run_shell.py`` call these to build
their (unsafe) fixes; each returns None when the fix could change what the build does in a way
the rule cannot vouch for.
"""

from __future__ import annotations

import re

from codi.parser.model import Instruction
from codi.parser.semantic import Stage
from codi.rules.base import Applicability, Edit, Fix, RuleContext
from codi.rules.dl.run_edits import file_offset

# Commands whose effect outlives them in the same shell: after a merge the next command would
# run in a changed directory, environment, option set, ... (or, for exec/exit, not at all).
_STATEFUL = frozenset([
    "cd", "pushd", "popd", "export", "set", "unset", "source", ".", "umask", "ulimit", "alias",
    "unalias", "shopt", "trap", "exec", "exit", "return", "eval", "readonly", "declare", "typeset",
    "local", "hash", "enable", "function",
])
_ASSIGNMENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\+?=")
_FUNCTION_DEF = re.compile(r"\(\s*\)")
_SHELL_COMMENT = re.compile(r"(^|\s)#")


def _changes_shell_state(ctx: RuleContext, instr: Instruction) -> bool:
    script = ctx.script(instr)
    if script is None or _FUNCTION_DEF.search(instr.args[0]):
        return True
    for cmd in script.commands:
        if cmd.name in _STATEFUL:
            return True
        if cmd.argv and all(_ASSIGNMENT.match(w) for w in cmd.argv):  # `X=1` alone sets a variable
            return True
    return False


def _script_bounds(instr: Instruction) -> tuple[int, int] | None:
    """File offsets of the first and just past the last non-blank character of the script."""
    script = instr.args[0] if instr.args else ""
    stripped = script.strip()
    if not stripped:
        return None
    first = file_offset(instr, len(script) - len(script.lstrip()))
    last = file_offset(instr, len(script.rstrip()) - 1)
    return None if first is None or last is None else (first, last + 1)


def merge_runs_fix(ctx: RuleContext, previous: Instruction, instr: Instruction) -> Fix | None:
    """Join ``instr``'s script onto ``previous``'s with `` && \\`` (None when unsafe to)."""
    for run in (previous, instr):
        if run.json_form or run.heredocs or not run.args:
            return None
    first_script = previous.args[0].rstrip()
    # a shell comment would swallow the joined command; a trailing operator would not parse
    if _SHELL_COMMENT.search(first_script) or first_script.endswith((";", "&", "|", "\\", "`")):
        return None
    if _changes_shell_state(ctx, previous):
        return None
    first, second = _script_bounds(previous), _script_bounds(instr)
    if first is None or second is None:
        return None
    between = ctx.dockerfile.text[first[1] : second[0]]
    if "#" in between:  # a comment between the RUNs: keep it where the author put it, no fix
        return None
    src = ctx.dockerfile.text
    if src[first[1] - 1] != first_script[-1] or src[second[0]] != instr.args[0].lstrip()[0]:
        return None  # offsets do not map back to the scripts: leave the file alone
    replacement = f" && {ctx.dockerfile.escape}{ctx.dockerfile.newline}    "
    return Fix("Merge with the previous RUN", Applicability.UNSAFE, [Edit(first[1], second[0], replacement)])


_ASH = ("/bin/ash", "-eo", "pipefail", "-c")
_BASH = ("/bin/bash", "-o", "pipefail", "-c")
# Image names (last path component) whose default variants are Debian/Ubuntu/RHEL-like with bash.
_BASH_IMAGES = frozenset([
    "debian", "ubuntu", "python", "node", "golang", "ruby", "php", "perl", "openjdk", "eclipse-temurin",
    "amazoncorretto", "sapmachine", "maven", "gradle", "rust", "buildpack-deps", "centos", "fedora",
    "rockylinux", "almalinux", "amazonlinux", "oraclelinux", "ubi", "ubi8", "ubi9", "ubi10", "elixir",
    "erlang", "haskell", "julia", "r-base", "r-ver", "swift", "clojure", "groovy", "kotlin", "nginx",
    "httpd", "tomcat", "jenkins", "postgres", "mysql", "mariadb", "redis", "mongo", "wordpress",
    "drupal", "composer", "cuda", "pytorch", "miniconda3", "micromamba", "base-notebook",
    "minimal-notebook", "scipy-notebook",
])
_DOTNET_IMAGES = frozenset(["sdk", "aspnet", "runtime", "runtime-deps"])  # Debian unless tagged otherwise
# Tags or names that mean a shell-less or non-POSIX image even in a bash family.
_NO_SHELL_HINTS = ("distroless", "chiseled", "nanoserver", "windowsservercore", "windows", "scratch", "busybox")


def _root_base(ctx: RuleContext, stage: Stage) -> str | None:
    root = ctx.per_stage("root-stage", _inherit_root)[stage.index]
    return root.base_resolved.lower() if root.base_resolved else None


def _inherit_root(stage: Stage, parent: Stage | None) -> Stage:
    return parent if parent is not None else stage


def pipefail_shell(ctx: RuleContext, stage: Stage) -> tuple[str, ...] | None:
    """The SHELL with pipefail that the stage's base image family supports, if known."""
    ref = _root_base(ctx, stage)
    if ref is None or "$" in ref:
        return None
    ref = ref.split("@", 1)[0]
    path, _, tag = ref.rpartition(":") if ":" in ref.rsplit("/", 1)[-1] else (ref, "", "")
    name = path.rsplit("/", 1)[-1]
    if any(h in ref for h in _NO_SHELL_HINTS):
        return None
    if "alpine" in name or "alpine" in tag:
        return _ASH
    if name in _BASH_IMAGES or "/devcontainers/" in path or (name in _DOTNET_IMAGES and "/dotnet/" in path):
        return _BASH
    return None


def _shell_chosen(ctx: RuleContext, stage: Stage, instr: Instruction) -> bool:
    """A SHELL instruction before ``instr`` in its stage or in a stage it is built FROM."""
    upto: Instruction | None = instr
    for _ in range(len(ctx.model.stages) + 1):
        for other in stage.instructions:
            if other is upto:
                break
            if other.keyword == "SHELL":
                return True
        if stage.base_stage is None:
            return False
        stage, upto = ctx.model.stages[stage.base_stage], None
    return True


def pipefail_fix(ctx: RuleContext, stage: Stage, instr: Instruction) -> Fix | None:
    """Insert ``SHELL [... "-o", "pipefail", "-c"]`` on the line before ``instr``."""
    shell = pipefail_shell(ctx, stage)
    if shell is None or _shell_chosen(ctx, stage, instr):
        return None
    line_start = ctx.dockerfile.text.rfind("\n", 0, instr.span.start) + 1
    if ctx.dockerfile.text[line_start : instr.span.start].strip():
        return None  # something else on the RUN's line before it: do not guess
    words = ", ".join(f'"{w}"' for w in shell)
    keyword = "SHELL" if instr.keyword_raw.isupper() or not instr.keyword_raw.islower() else "shell"
    text = f"{keyword} [{words}]{ctx.dockerfile.newline}"
    return Fix(f"Insert SHELL [{words}] before the RUN", Applicability.UNSAFE, [Edit(line_start, line_start, text)])
