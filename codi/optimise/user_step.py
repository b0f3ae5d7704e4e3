"""Where the non-root variant's user step (``useradd`` and the ``mkdir``/``chown`` of the app's folders) goes.

At the end of the stage it runs after the sources are copied, so every source edit redoes it (and the
review sees a chown after a COPY, CD106). It is the same image when it runs earlier, before a tail of
instructions that neither run anything nor touch what the step writes:

- settings that read no file (EXPOSE, CMD, ENTRYPOINT, LABEL, HEALTHCHECK, STOPSIGNAL, ONBUILD, WORKDIR,
  and ENV/ARG that do not change how the step's commands are found or loaded: PATH, LD_*, ...);
- a COPY without --link, --chown or --chmod into one of the folders the step owns (or below one), and
  never a folder above another of them: a copy into a folder that exists keeps that folder's owner and
  mode in BuildKit and the classic builder (moby/buildkit#2414), so the folder ends up as the step left it.

Anything else (RUN, ADD, SHELL, USER, VOLUME, a copy elsewhere) ends the tail: the step goes after it.
"""

from __future__ import annotations

from codi.optimise.reorder import workdirs
from codi.parser.expand import expand
from codi.parser.model import Instruction
from codi.parser.mounts import mounts
from codi.parser.semantic import Model, Stage
from codi.rules.cd.stages import resolve

_SETTINGS = frozenset({"EXPOSE", "CMD", "ENTRYPOINT", "LABEL", "HEALTHCHECK", "STOPSIGNAL", "ONBUILD",
                       "MAINTAINER", "WORKDIR"})
# Variables that change which program `useradd`, `mkdir` or `chown` is, or what it loads and reads.
_STEP_ENV = frozenset({"PATH", "SHELL", "ENV", "BASH_ENV", "IFS", "HOME"})
_SAFE_MOUNTS = frozenset({"cache", "secret", "ssh", "tmpfs"})
MAX_DIRS = 64  # each copy is checked against every folder: a file that makes thousands keeps the step last


def _inside(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip("/") + "/")


def _env_keys(instr: Instruction) -> list[str]:
    if instr.keyword == "ENV":
        return instr.args[0::3]
    return [arg.split("=", 1)[0] for arg in instr.args]


def _copy_keeps(model: Model, cwd: str, instr: Instruction, dirs: list[str]) -> bool:
    if instr.heredocs or any(f.name in {"link", "chown", "chmod", "parents"} for f in instr.flags):
        return False
    if not instr.args:
        return False
    written = expand(instr.args[-1], model.vars_at(instr), model.dockerfile.escape)
    if "$" in written:
        return False
    dest = resolve(written, cwd)
    if dest == "/":
        return False
    sources = instr.args[:-1]
    if dest in dirs and not written.endswith("/") and len(sources) == 1 and sources[0].rstrip("/") not in {".", ""}:
        return False  # `COPY app.py /app`: a file named /app where no folder is there yet; into it once the step ran
    # Into a folder the step owns, and never over another one of them (a copied folder of that name
    # might bring its own owner and mode).
    return any(_inside(dest, d) for d in dirs) and not any(_inside(d, dest) and d != dest for d in dirs)


def _keeps(model: Model, cwd: str, instr: Instruction, dirs: list[str]) -> bool:
    """Whether the step may run before ``instr`` (run in ``cwd``) and still give the same image."""
    if instr.keyword in _SETTINGS:
        return True
    if instr.keyword in {"ENV", "ARG"}:
        return not any(k in _STEP_ENV or k.startswith("LD_") for k in _env_keys(instr))
    if instr.keyword == "COPY":
        return _copy_keeps(model, cwd, instr, dirs)
    return False


def anchor(model: Model, stage: Stage, dirs: list[str]) -> tuple[int, Instruction | None] | None:
    """(how many instructions of the stage stay before the step, the one it follows); None when the step
    belongs at the end: no copy would follow it. The instruction it follows is None when it can go right
    after FROM."""
    if len(dirs) > MAX_DIRS:
        return None
    instrs = stage.instructions
    cwds = workdirs(model, stage)  # one pass: a long tail of copies must not walk the file once per copy
    at = len(instrs)
    while at > 0 and _keeps(model, cwds[id(instrs[at - 1])][0], instrs[at - 1], dirs):
        at -= 1
    if not any(instr.keyword == "COPY" for instr in instrs[at:]):
        return None  # only settings after it: the end of the stage reads better and rebuilds the same
    return at, instrs[at - 1] if at else None


def mount_free_for(instr: Instruction, dirs: list[str]) -> bool:
    """Whether a RUN's flags leave the step alone when it is joined to that RUN: only mounts that bring no
    file of the project (cache, secret, ssh, tmpfs), none of them on a folder the step owns or on /etc."""
    found = mounts(instr)
    if any(f.name != "mount" for f in instr.flags) or len(found) != len(instr.flags):
        return False
    for m in found:
        if m.type not in _SAFE_MOUNTS or not m.target or not m.target.startswith("/") or "$" in m.target:
            return False
        target = resolve(m.target, "/")
        if _inside("/etc", target) or _inside(target, "/etc") or any(_inside(d, target) for d in dirs):
            return False
    return True
