"""Where an image's application dependencies come from: inline specs, a requirements file, a lockfile.

A candidate must install the same dependencies the same way: same packages, same pins, same source,
and the same scope (which groups of the manifest: devDependencies, Poetry groups, extras; see scope.py).
Read from the RUN steps of every stage whose files reach the built image (its FROM chain and the
stages it copies from), once per image. Installs of the package tools themselves (pip, poetry, a
global npm/pnpm...) are not application dependencies: the review check compares their pins.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Mapping
from pathlib import Path

from codi.optimise.contract.model import DependencySource
from codi.optimise.contract.scope import (
    NODE_KINDS,
    PyGroups,
    node_omitted,
    node_scope,
    pip_extras,
    pipenv_scope,
    poetry_scope,
    py_groups,
    uv_scope,
)
from codi.parser.model import Instruction
from codi.parser.semantic import Model, Stage

# Packages that are package tools, not the application's dependencies.
TOOLS = frozenset({"pip", "setuptools", "wheel", "poetry", "poetry-core", "uv", "pipenv", "virtualenv", "pipx",
                   "npm", "yarn", "pnpm", "corepack"})
# Python installers that read a lockfile or the project's manifest of their own.
_LOCKED = {"poetry": ("install", "poetry.lock"), "uv": ("sync", "uv.lock"), "pipenv": ("install", "Pipfile.lock")}
_NODE = {"npm": ("install", "i", "ci", "add"), "yarn": ("install", "add", ""), "pnpm": ("install", "i", "add")}


def _norm_pip(spec: str) -> str:
    spec = spec.strip()
    m = re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(.*)$", spec)
    if not m:
        return spec
    return re.sub(r"[-_.]+", "-", m.group(1)).lower() + re.sub(r"\s+", "", m.group(2))


def _pip_name(spec: str) -> str:
    return re.split(r"[\[<>=!~;@ ]", _norm_pip(spec), maxsplit=1)[0]


def _relative(path: str, workdir: str) -> str:
    """A file an install reads, as the project names it (``/app/req.txt`` under WORKDIR /app: ``req.txt``)."""
    full = posixpath.normpath(posixpath.join(workdir or "/", path))
    base = posixpath.normpath(workdir or "/")
    if base != "/" and full.startswith(base + "/"):
        return full[len(base) + 1:]
    # Outside WORKDIR: named from the root, as a context path usually is (`ADD requirements/ /requirements/`).
    return full.lstrip("/")


def feeding_stages(model: Model, stage: Stage) -> list[Stage]:
    """``stage``'s FROM chain and every stage whose files it copies (or mounts), transitively, in file order."""
    edges = model.copy_from_edges()
    seen: dict[int, Stage] = {}
    todo = [stage]
    while todo:
        st = todo.pop()
        for link in model.stage_chain(st):
            if link.index in seen:
                continue
            seen[link.index] = link
            todo += [model.stages[src] for src, dst, _ in edges if dst == link.index and src not in seen]
    return [seen[i] for i in sorted(seen)]


def dependency_sources(model: Model, stage: Stage, project: Path | None = None) -> list[DependencySource]:
    """Each install of application dependencies whose result the image ships, with its scope.

    A stage starts from its parent stage's installs; in a stage, a later install of the same
    package.json (or an ``npm prune --omit=dev``) decides what node_modules holds, while Python installs
    of the same lockfile add up. The image's own stages (``stage``'s FROM chain) decide a source they
    install; the stages it only copies from add the sources it does not install itself.
    """
    from codi.parser.shell import parse_script
    from codi.rules.cd.commands import tool_calls

    groups: list[PyGroups] = []  # read once, only where a Poetry or uv install needs it

    def pyproject() -> PyGroups:
        if not groups:
            groups.append(py_groups(project))
        return groups[0]

    states: dict[int, dict[str, DependencySource]] = {}
    where: dict[tuple[int, str], str] = {}  # (stage, key) -> the folder a node install wrote node_modules in
    last_workdir: dict[int, str] = {}
    for st in feeding_stages(model, stage):  # file order: a parent stage comes before its children
        chain = model.stage_chain(st)
        state = dict(states.get(chain[-2].index, {})) if len(chain) > 1 else {}
        if len(chain) > 1:
            where.update({(st.index, k): v for (i, k), v in where.items() if i == chain[-2].index})
        workdir = last_workdir.get(chain[-2].index, "/") if len(chain) > 1 else "/"
        for instr in st.instructions:
            if instr.keyword == "WORKDIR" and instr.args:
                workdir = posixpath.normpath(posixpath.join(workdir, instr.args[0]))
            if instr.keyword != "RUN" or instr.json_form:
                continue
            script = "\n".join(h.content for h in instr.heredocs) if instr.heredocs else " ".join(instr.args)
            env = model.vars_at(instr)
            for call in tool_calls(parse_script(script)):
                if call.tool in {"npm", "pnpm"} and call.sub == "prune":
                    _prune(state, call, env)
                    continue
                for src in _sources(call, workdir, instr, env, pyproject):
                    old = state.get(src.key)
                    if src.manager in NODE_KINDS and src.source == "package.json":
                        where[(st.index, src.key)] = workdir
                    if old is None:
                        state[src.key] = src
                    elif src.manager in NODE_KINDS:  # the later install rewrites node_modules
                        state[src.key] = old.model_copy(update={"scope": src.scope})
                    else:
                        state[src.key] = old.model_copy(update={"scope": sorted(set(old.scope) | set(src.scope))})
        states[st.index] = state
        last_workdir[st.index] = workdir
    own = dict(states.get(stage.index, {}))
    chain_ids = {s.index for s in model.stage_chain(stage)}
    feeding = feeding_stages(model, stage)
    for st in feeding:
        if st.index in chain_ids:
            continue
        for key, src in states.get(st.index, {}).items():
            if (st.index, key) in where and not _copies_node_modules(
                    model, st, where[(st.index, key)], {f.index for f in feeding}):
                src = src.model_copy(update={"shipped": False})
            if key not in own or (src.shipped and not own[key].shipped):
                own[key] = src
    # in the order the image installs them (a template repeats it)
    return sorted(own.values(), key=lambda d: d.line if d.line is not None else 0)


def _copies_node_modules(model: Model, stage: Stage, workdir: str, feeding: set[int]) -> bool:
    """Some ``COPY --from`` of ``stage`` (or of a stage built on it) takes its node_modules: a source path
    that is that folder or holds it, or one with a wildcard or a variable (it may). A stage that only
    gives the image built files (``COPY --from=assets /app/public``) does not ship its install."""
    target = posixpath.join(workdir, "node_modules")
    later = {s.index for s in model.stages if stage.index in {c.index for c in model.stage_chain(s)}}
    for src, dst, instr in model.copy_from_edges():
        if src not in later or dst not in feeding:
            continue
        if instr.keyword != "COPY":
            return True  # a mount that a RUN may copy from
        for arg in instr.args[:-1]:
            if any(ch in arg for ch in "*?[$"):
                return True
            path = posixpath.normpath(posixpath.join("/", arg))
            if path == "/" or target == path or target.startswith(path.rstrip("/") + "/"):
                return True
    return False


def _prune(state: dict[str, DependencySource], call: object, env: Mapping[str, str | None]) -> None:
    """``npm prune --omit=dev`` / ``pnpm prune --prod``: the kinds it removes leave the stage's node_modules."""
    from codi.rules.cd.commands import ToolCall

    assert isinstance(call, ToolCall)
    src = state.get(f"{call.tool}: package.json")
    if src is not None:
        gone = node_omitted(call, env)
        state[src.key] = src.model_copy(update={"scope": [s for s in src.scope if s not in gone]})


def _sources(call: object, workdir: str, instr: Instruction, env: Mapping[str, str | None],
             pyproject: Callable[[], PyGroups]) -> list[DependencySource]:
    from codi.rules.cd.commands import ToolCall

    assert isinstance(call, ToolCall)
    line = instr.start_line
    if call.tool in {"pip", "uv-pip"} and call.sub == "install":
        out = [DependencySource(manager="pip", source=_relative(f, workdir), line=line)
               for f in call.flag_values("-r", "--requirement")]
        operands = call.positional()
        no_deps = call.has("--no-deps")
        local = [w for w in operands + call.flag_values("-e", "--editable")
                 if w.startswith((".", "/")) or w == workdir]
        if local and not no_deps:  # `pip install .`: the project's own dependency list, with the extras named
            out.append(DependencySource(manager="pip", source="project", line=line,
                                        scope=sorted({e for w in local for e in pip_extras(w)})))
        specs = sorted({_norm_pip(w) for w in operands if not w.startswith((".", "/"))
                        and "/" not in w and _pip_name(w) not in TOOLS})
        if specs:
            out.append(DependencySource(manager="pip", source="inline", packages=specs, line=line))
        return out
    if call.tool in _LOCKED and call.sub == _LOCKED[call.tool][0]:
        scope = poetry_scope(call, pyproject()) if call.tool == "poetry" else \
            uv_scope(call, env, pyproject()) if call.tool == "uv" else pipenv_scope(call)
        return [DependencySource(manager=call.tool, source=_LOCKED[call.tool][1], line=line, scope=scope)]
    if call.tool in _NODE and call.sub in _NODE[call.tool]:
        if call.has("-g", "--global") or call.sub == "" and call.tool != "yarn":
            return []
        operands = call.positional()
        if call.tool == "yarn" and call.sub == "" and operands:
            return []
        specs = sorted({w for w in operands if w.lstrip("@").split("@", 1)[0].split("/")[-1] not in TOOLS})
        if specs:
            return [DependencySource(manager=call.tool, source="inline", packages=specs, line=line)]
        if operands:  # only tools
            return []
        return [DependencySource(manager=call.tool, source="package.json", line=line, scope=node_scope(call, env))]
    return []
