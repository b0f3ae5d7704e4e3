"""The tuned candidate's reorder: dependency manifests copied and installed before the whole build context.

The shape CD201 reports: ``COPY . DEST`` and then, in the same stage, a RUN that installs the node or
python dependencies (pip -r, poetry, uv). Then every source edit re-runs the install. The reorder writes,
where the copy was, ``COPY <manifests> DEST/`` (the copy's --chown/--chmod), keeps the instructions that
follow in their order and moves the whole-context copy to just after the install RUN:

    COPY . /app                      COPY package.json package-lock.json /app/
    WORKDIR /app              ->     WORKDIR /app
    RUN npm ci                       RUN npm ci
                                     COPY . /app

Only where it is provably the same image for what the app runs (otherwise the note says why not):
- the install reads only the manifests (``codi.optimise.manifests``: no install scripts, no local
  dependencies or paths, the lockfiles and requirement includes present in the context);
- every command of the RUN is such an install, a ``cd`` to DEST, an install of named packages or system
  packages; plain ``&&``/``;`` between them; the installs run in DEST;
- between the copy and the install only instructions that read no file (ENV, ARG, LABEL, USER, ...):
  they keep their place, so they apply to the install exactly as before; the moved copy resolves to the
  same destination and flags where it lands;
- the installed node_modules are not overwritten by the context's (see ``manifests.node_needs``).
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field

from codi.optimise.locked import locked_needs
from codi.optimise.manifests import Context, Needs, node_needs, pip_needs
from codi.parser.expand import expand
from codi.parser.model import Instruction
from codi.parser.mounts import mounts
from codi.parser.semantic import Model, Stage
from codi.parser.shell import Script, parse_script
from codi.rules.cd.commands import ToolCall, tool_calls
from codi.rules.cd.rebuild import dependency_install
from codi.rules.cd.stages import resolve, whole_context

# Instructions that read no file and write none: they may sit between the copy and the install.
_SETTINGS = frozenset({"ENV", "ARG", "LABEL", "USER", "EXPOSE", "SHELL", "STOPSIGNAL", "HEALTHCHECK", "CMD",
                       "ENTRYPOINT", "MAINTAINER", "WORKDIR"})
_INDEX_UPDATES = {("apt-get", "update"), ("apk", "update"), ("yum", "makecache"), ("dnf", "makecache")}
# What may stand between two commands of the install RUN: separators, continuations, output to /dev/null.
_GAP = re.compile(r"^(?:\s|\\\r?\n|&&|;|\d?>>?\s*/dev/null|\d?>&\d)*$")
_PROJECT_TOOLS = frozenset({"npm", "yarn", "pnpm", "poetry", "uv"})
_NPM_NAME = re.compile(r"^(@[\w.-]+/)?[\w.-]+(@[\w.^~<>=*-]+)?$")  # a registry package, maybe with a version
_SAFE_MOUNTS = frozenset({"cache", "secret", "ssh", "tmpfs"})  # a bind mount may bring the sources in


@dataclass(slots=True)
class Reorder:
    edits: list[tuple[int, int, str]] = field(default_factory=list)  # (start, end, new) in the text
    notes: list[str] = field(default_factory=list)  # what moved, and why
    kept: list[str] = field(default_factory=list)  # why a CD201 shape was left as it is


class _Refused(Exception):
    """The reorder is not provably the same image: the message says why."""


def reorder(model: Model, stage: Stage, ctx: Context | None) -> Reorder:
    out = Reorder()
    found = _shape(model, stage)
    if found is None:
        return out
    copy, run, between = found
    try:
        if ctx is None:
            raise _Refused("the project folder is not known")
        edits, note = _plan(model, stage, ctx, copy, run, between)
    except _Refused as exc:
        out.kept.append(f"line {copy.start_line}: the whole build context is still copied before the install "
                        f"on line {run.start_line}: {exc}")
        return out
    out.edits, out.notes = edits, [note]
    return out


def _shape(model: Model, stage: Stage) -> tuple[Instruction, Instruction, list[Instruction]] | None:
    """(the first whole-context copy, the first later RUN installing node/python dependencies, the
    instructions between them), or None when the stage has no such pair. As CD201: an ecosystem whose
    dependencies the stage (or its FROM chain) installed before the copy is not counted (the later
    install is of the project itself)."""
    instrs = stage.instructions
    at = next((i for i, instr in enumerate(instrs) if whole_context(instr)), None)
    if at is None:
        return None
    earlier = [i for st in model.stage_chain(stage)[:-1] for i in st.instructions] + instrs[:at]
    installed = {eco for instr in earlier if instr.keyword == "RUN" for eco in _ecosystems(instr)}
    for j in range(at + 1, len(instrs)):
        instr = instrs[j]
        if instr.keyword == "RUN" and _ecosystems(instr) & {"node", "python"} - installed:
            return instrs[at], instr, instrs[at + 1:j]
    return None


def _script(run: Instruction) -> Script | None:
    if run.json_form or run.heredocs or not run.args:
        return None
    return parse_script(run.args[0])


def _ecosystems(run: Instruction) -> set[str]:
    script = _script(run)
    if script is None:
        return set()
    return {eco for call in tool_calls(script) if (eco := dependency_install(call)) is not None}


def _plan(model: Model, stage: Stage, ctx: Context, copy: Instruction, run: Instruction,
          between: list[Instruction]) -> tuple[list[tuple[int, int, str]], str]:
    if copy.json_form or copy.heredocs or copy.args[:-1] not in (["."], ["./"]):
        raise _Refused("the copy names more than the context root (`COPY . DEST`)")
    odd = [f.name for f in copy.flags if f.name not in {"chown", "chmod", "link"}]
    if odd:
        raise _Refused(f"the copy has --{odd[0]}, which the reorder does not carry over")
    for instr in between:
        if instr.keyword not in _SETTINGS:
            raise _Refused(f"{instr.keyword} on line {instr.start_line}, between them, may need the sources")
    dest = _destination(model, stage, copy, run, between)
    script = _script(run)
    if script is None:
        raise _Refused("the install RUN is in exec form or a heredoc")
    bound = [m.type for m in mounts(run) if m.type not in _SAFE_MOUNTS]
    if bound:
        raise _Refused(f"the install RUN has a --mount=type={bound[0]}")
    needs = _run_needs(model, stage, ctx, run, script, dest)
    _environment(model, ctx, run, dest)
    edits = _edits(copy, run, needs.files)
    installs = "; ".join(dict.fromkeys(f"`{' '.join(c.original.argv)}`" for c in tool_calls(script)
                                       if dependency_install(c) in {"node", "python"}))
    note = (f"line {copy.start_line}: copies {', '.join(needs.files)} to {dest} first, then installs (line "
            f"{run.start_line}), then copies the whole context: a source edit no longer re-runs {installs} "
            "(its layer stays cached until these files change)")
    return edits, "; ".join([note] + list(dict.fromkeys(needs.notes)))


def workdirs(model: Model, stage: Stage) -> dict[int, tuple[str, bool]]:
    """id(instruction) -> (the working directory it runs in, whether a WORKDIR of the stage's chain set it),
    for every instruction of the chain, in one pass."""
    out: dict[int, tuple[str, bool]] = {}
    cwd, known = "/", False
    for st in model.stage_chain(stage):
        for other in st.instructions:
            out[id(other)] = (cwd, known)
            if other.keyword == "WORKDIR" and other.args:
                cwd, known = resolve(expand(other.args[0], model.vars_at(other), model.dockerfile.escape), cwd), True
    return out


def _destination(model: Model, stage: Stage, copy: Instruction, run: Instruction,
                 between: list[Instruction]) -> str:
    """DEST, the copy's absolute destination, the same where the copy is and where it moves to."""
    escape = model.dockerfile.escape
    here, there = model.vars_at(copy), model.vars_at(run)
    written = [copy.args[-1]] + [f.raw for f in copy.flags]
    moved = [expand(w, there, escape) for w in written]
    if [expand(w, here, escape) for w in written] != moved or any("$" in w for w in moved):
        raise _Refused("the copy's destination or flags name a variable that changes before the install")
    cwds = workdirs(model, stage)
    cwd, known = cwds[id(copy)]
    if not moved[0].startswith("/") and not known:
        raise _Refused("the copy's destination is relative and no WORKDIR says to what")
    dest = resolve(moved[0], cwd)
    if not moved[0].startswith("/") and cwds[id(run)][0] != cwd:
        raise _Refused("a WORKDIR between them changes what the copy's relative destination means")
    for instr in between:
        if instr.keyword == "WORKDIR":
            at = resolve(expand(instr.args[0], model.vars_at(instr), escape), cwds[id(instr)][0])
            if at.startswith(dest.rstrip("/") + "/"):
                raise _Refused(f"WORKDIR on line {instr.start_line} is a folder the copy would have made")
    return dest


def _run_needs(model: Model, stage: Stage, ctx: Context, run: Instruction, script: Script, dest: str) -> Needs:
    """The manifests the RUN's installs read; refused when a command of it may read anything else."""
    _plain_glue(script)
    env = model.vars_at(run)
    escape = model.dockerfile.escape
    cwd = workdirs(model, stage)[id(run)][0]
    calls = {c.index: c for c in tool_calls(script)}
    out = Needs()
    for i, cmd in enumerate(script.commands):
        plain = cmd.unwrapped()
        words = " ".join(plain.argv)
        if not plain.argv:
            continue
        if plain.name == "cd" and len(plain.argv) == 2:
            cwd = resolve(expand(plain.argv[1], env, escape), cwd)
            continue
        call = calls.get(i)
        needs = _call_needs(ctx, call, cwd, dest) if call is not None else None
        if needs is None:
            raise _Refused(f"`{words}` in the install RUN may need the sources")
        if needs.why_not is not None:
            raise _Refused(f"`{words}`: {needs.why_not}")
        if needs.files and cwd != dest:
            raise _Refused(f"`{words}` runs in {cwd}, not in the copied folder {dest}")
        out.files += [f for f in needs.files if f not in out.files]
        out.notes += needs.notes
    if not out.files:
        raise _Refused("its installs read no manifest CODI can copy on its own")
    return out


def _plain_glue(script: Script) -> None:
    """Only simple commands joined by ``&&``/``;``: no redirections, substitutions, pipes or compound
    commands (a loop or a test may read the sources)."""
    prev = 0
    for cmd in script.commands:
        if not _GAP.match(script.text[prev:cmd.start]):
            raise _Refused("the install RUN is more than commands joined by && (a loop, a test or a group)")
        if cmd.piped or any(t != "/dev/null" and not t.startswith("&") for _, t in cmd.redirects):
            raise _Refused(f"`{' '.join(cmd.argv)}` in the install RUN has a pipe or a redirection")
        if any("$(" in w or "`" in w for w in cmd.raw_words):
            raise _Refused(f"`{' '.join(cmd.argv)}` in the install RUN has a command substitution")
        prev = cmd.end
    if not _GAP.match(script.text[prev:]):
        raise _Refused("the install RUN is more than commands joined by && (a loop, a test or a group)")


def _call_needs(ctx: Context, call: ToolCall, cwd: str, dest: str) -> Needs | None:
    """The manifests one command reads (none for named or system packages); None: it may read sources."""
    eco = dependency_install(call)
    if call.tool in _PROJECT_TOOLS and call.has("--prefix", "--cwd", "-C", "--dir", "-w", "--workspace", "--filter",
                                                "-F", "--directory", "--project"):
        return None  # installs another folder's project
    if eco == "node":
        return node_needs(ctx, call)
    if eco == "python" and call.tool in {"pip", "uv-pip"}:
        return pip_needs(ctx, call, dest, cwd)
    if eco == "python":
        return locked_needs(ctx, call)  # poetry install, uv sync; None (refused) for pipenv, pdm
    if call.tool == "poetry" and call.sub == "config" and not call.has("--local"):
        return Needs()  # the user's settings (virtualenvs.create false), not a file of the project
    if eco == "system" or (call.tool, call.sub) in _INDEX_UPDATES:
        return Needs()
    if call.tool in {"pip", "uv-pip"} and call.sub == "install":
        return pip_needs(ctx, call, dest, cwd)  # named packages only: a path is refused there
    if call.tool in {"npm", "pnpm"} and call.sub in {"install", "i", "add"} and call.has("-g", "--global") \
            and call.positional() and all(_NPM_NAME.match(p) for p in call.positional()):
        return Needs()  # a global tool from the registry
    if call.tool == "rm" and all(w.startswith(("/var/lib/apt/lists", "/var/cache/", "/root/.cache", "/tmp/"))
                                 for w in call.operands()):
        return Needs()
    return None


def _environment(model: Model, ctx: Context, run: Instruction, dest: str) -> None:
    """The environment must not point the install at a source file (a config file, a program on PATH in
    DEST that the context has), nor put the project's modules first (PYTHONPATH/NODE_PATH=DEST)."""
    base = dest.rstrip("/")
    for name, value in model.vars_at(run).items():
        for part in (value or "").split(":"):
            # HOME=DEST: npm and pip read their user settings (~/.npmrc, ~/.config/pip) from the sources
            whole = name in {"PYTHONPATH", "NODE_PATH", "HOME"} and part in {base or "/", "."}
            if whole or (part.startswith(base + "/") and ctx.exists(part[len(base) + 1:])):
                raise _Refused(f"{name}={value} points the install at files of the build context")


def _edits(copy: Instruction, run: Instruction, files: list[str]) -> list[tuple[int, int, str]]:
    newline = "\r\n" if copy.text.endswith("\r\n") else "\n"
    flags = "".join(f" {f.raw}" for f in copy.flags if f.name in {"chown", "chmod"})
    target = copy.args[-1].rstrip("/")
    folders: dict[str, list[str]] = {}
    for rel in files:
        folders.setdefault(posixpath.dirname(rel), []).append(rel)
    lines = []
    for folder, names in folders.items():
        where = f"{target}/{folder}/" if folder else f"{target}/"
        lines.append(f"COPY{flags} {' '.join(names)} {where}{newline}")
    moved = copy.text if copy.text.endswith("\n") else copy.text + newline
    if not run.text.endswith("\n"):  # the install RUN ends the file without a newline
        moved = newline + moved.rstrip("\r\n")
    return [(copy.span.start, copy.span.end, "".join(lines)), (run.span.end, run.span.end, moved)]
