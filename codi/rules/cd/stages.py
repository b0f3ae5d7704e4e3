"""Which stages end up in the final image, working directories and COPY paths (shared by the CD rules)."""

from __future__ import annotations

import functools
import posixpath
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import PurePath

from codi.parser.expand import expand
from codi.parser.model import Instruction
from codi.parser.semantic import Model, Stage
from codi.rules.base import RuleContext


def image_stages(model: Model) -> list[Stage]:
    """The final stage and the stages it is built ``FROM`` (their layers are the final image's layers).

    Stages only used through ``COPY --from`` are not included: only the copied files reach the image.
    """
    final = model.final_stage
    return model.stage_chain(final) if final is not None else []


_NAME_PARTS = re.compile(r"[._-]")
_DEV_WORDS = frozenset({"dev", "devel", "develop", "development", "local", "debug", "devcontainer"})


def development_image(ctx: RuleContext) -> bool:
    """True for a Dockerfile that says it builds a development environment, not a production image:
    a file or folder name with a ``dev``/``development``/``local``/``debug`` part (``Dockerfile.dev``,
    ``dev.Dockerfile``, ``local/Dockerfile``), a ``.devcontainer`` folder, or a final stage named so."""
    if _dev_path(ctx.path):
        return True
    final = ctx.model.final_stage
    return final is not None and (final.name or "") in _DEV_WORDS


@functools.lru_cache(maxsize=1024)  # several rules ask, for every stage, about the same path
def _dev_path(path: str) -> bool:
    # the file and its folder, not where projects live
    return any(_DEV_WORDS & set(_NAME_PARTS.split(part.lower())) for part in PurePath(path).parts[-2:])


def image_base(model: Model) -> tuple[Stage, str] | None:
    """The stage whose FROM names the final image's external base, and that base (resolved)."""
    chain = image_stages(model)
    if not chain:
        return None
    root = chain[0]
    if root.base_stage is not None or root.base_resolved is None:
        return None
    return root, root.base_resolved


def image_instructions(ctx: RuleContext) -> list[tuple[Stage, Instruction]]:
    """Every instruction of the image stages, in build order (ONBUILD triggers excluded)."""
    return [(s, i) for s in image_stages(ctx.model) for i in s.instructions]


def resolve(path: str, cwd: str) -> str:
    """An absolute, normalised path (``~`` and ``$HOME`` mean /root, the usual build user)."""
    for home in ("${HOME}", "$HOME", "~"):
        if path == home or path.startswith(home + "/"):
            path = "/root" + path[len(home):]
    joined = posixpath.join(cwd or "/", path)
    norm = posixpath.normpath(joined)
    return "/" + norm.lstrip("/")


def workdirs(ctx: RuleContext, stage: Stage) -> dict[int, str]:
    """id(instruction) -> working directory it runs in ("/" until a WORKDIR; inherited from FROM <stage>)."""
    parent = stage.base_stage
    cwd = "/" if parent is None else ctx.per_stage("cd.workdir-at-end", _workdir_at_end(ctx))[parent]
    out: dict[int, str] = {}
    for instr in stage.instructions:
        out[id(instr)] = cwd
        cwd = _after(ctx, instr, cwd)
    return out


def _workdir_at_end(ctx: RuleContext) -> Callable[[Stage, str | None], str]:
    """The working directory each stage ends in, from its parent's (one pass, never a recursion
    as deep as the FROM chain: 10,000 chained stages passed Python's recursion limit)."""

    def walk(stage: Stage, inherited: str | None) -> str:
        cwd = inherited if inherited is not None else "/"
        for instr in stage.instructions:
            cwd = _after(ctx, instr, cwd)
        return cwd

    return walk


def _after(ctx: RuleContext, instr: Instruction, cwd: str) -> str:
    if instr.keyword != "WORKDIR" or not instr.args:
        return cwd
    value = expand(instr.args[0], ctx.model.vars_at(instr), ctx.dockerfile.escape)
    return resolve(value, cwd) if value else cwd


@dataclass(slots=True)
class CopyPaths:
    sources: list[str]  # as written (variables expanded)
    dest: str  # absolute destination as written (may end with "/")
    created: list[str]  # absolute paths the instruction creates at the top level


def copy_paths(ctx: RuleContext, instr: Instruction, cwd: str) -> CopyPaths | None:
    """Sources, destination and created top-level paths of a COPY/ADD (None when unusable)."""
    if instr.keyword not in ("COPY", "ADD") or len(instr.args) < 2:
        return None
    env = ctx.model.vars_at(instr)
    words = [expand(a, env, ctx.dockerfile.escape) for a in instr.args]
    sources, dest_raw = words[:-1], words[-1]
    dest = resolve(dest_raw, cwd)
    is_dir = dest_raw.endswith("/") or len(sources) > 1
    created: list[str] = []
    for src in sources:
        base = posixpath.basename(src.rstrip("/"))
        if src.startswith("<<"):  # heredoc: the file is named by dest
            created.append(posixpath.join(dest, src.lstrip("<-").strip("'\"")) if is_dir else dest)
            continue
        if is_dir or base in ("", "."):
            created.append(dest if base in ("", ".") else posixpath.join(dest, base))
        else:
            created.append(dest)
            created.append(posixpath.join(dest, base))  # when dest is an existing directory
    return CopyPaths(sources, dest, created)


def whole_context(instr: Instruction) -> bool:
    """True for ``COPY . x`` / ``ADD ./ x`` (not from another stage or image)."""
    if instr.keyword not in ("COPY", "ADD") or instr.flag("from") is not None or len(instr.args) < 2:
        return False
    return any(src.rstrip("/") in (".", "") or src in ("./*", "*") for src in instr.args[:-1])


def covers(target: str, path: str) -> bool:
    """True if deleting ``target`` (an absolute path, maybe a glob like ``dir/*``) deletes ``path``
    or empties it (``rm -rf /var/lib/apt/lists/*`` covers ``/var/lib/apt/lists``)."""
    globs = [target.find(c) for c in "*?[" if c in target]
    prefix = target[: min(globs)] if globs else target + "/"
    if prefix.endswith("/"):
        base = prefix.rstrip("/")
        return bool(base) and (path == base or path.startswith(base + "/"))
    return bool(prefix.strip("/")) and path.startswith(prefix)


def home_to_root(path: str) -> str:
    """``/home/<user>/x`` -> ``/root/x`` so that per-user caches compare alike."""
    parts = path.split("/")
    if len(parts) > 3 and parts[1] == "home":
        return "/root/" + "/".join(parts[3:])
    if len(parts) == 3 and parts[1] == "home":
        return "/root"
    return path
