"""Compute the runtime contract of a Dockerfile's built stage, base-image facts included."""

from __future__ import annotations

import json
import posixpath
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from codi.optimise.contract.deps import dependency_sources
from codi.optimise.contract.files import StageFiles
from codi.optimise.contract.model import RuntimeContract
from codi.optimise.contract.programs import find_executables
from codi.parser.expand import expand
from codi.parser.model import Dockerfile, Instruction
from codi.parser.semantic import Model, Stage

ROOT_USERS = {"", "root", "0", "0:0", "root:root", "root:0", "0:root"}


def base_facts(ref: str | None) -> Any | None:
    """What CODI's image knowledge says about ``ref`` (None: unknown)."""
    if not ref:
        return None
    from codi.imagedb import lookup

    return lookup(ref)


def normal_user(user: str) -> str:
    return "" if user.strip() in ROOT_USERS else user.strip()


def normal_port(port: str) -> str:
    port = port.strip().lower()
    return port if "/" in port else f"{port}/tcp"


def healthcheck_text(instr: Instruction) -> str:
    """HEALTHCHECK as a comparable string: sorted flags, then CMD argv or CMD-SHELL text."""
    args = instr.args
    if args and args[0].upper() == "NONE":
        return "NONE"
    flags = sorted(f"--{f.name}={f.value}" for f in instr.flags)
    rest = args[1] if len(args) > 1 else ""
    argv = _json_list(rest)
    test = json.dumps(["CMD", *argv]) if argv is not None else json.dumps(["CMD-SHELL", rest.strip()])
    return " ".join([*flags, test])




def _json_list(text: str) -> list[str] | None:
    text = text.strip()
    if not text.startswith("["):
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return [str(v) for v in value] if isinstance(value, list) else None


@dataclass(slots=True)
class _State:
    contract: RuntimeContract
    base_env: dict[str, str | None] = field(default_factory=dict)
    cmd_set: bool = False
    packages: list[tuple[str, int]] = field(default_factory=list)  # (package, RUN line)
    run_texts: list[tuple[str, int]] = field(default_factory=list)
    made_dirs: list[str] = field(default_factory=list)


def compute_contract(df: Dockerfile, model: Model, stage: Stage | None = None,
                     project: Path | None = None) -> RuntimeContract:
    """The contract of ``stage`` (default: the last one) of a parsed, modelled Dockerfile."""
    stage = stage or model.final_stage
    if stage is None:
        return RuntimeContract()
    chain = model.stage_chain(stage)
    root = chain[0]
    base = root.base_resolved or root.base
    state = _State(RuntimeContract(base=base))
    _from_base(state, base)
    for st in chain:
        state.cmd_set = False
        for instr in st.instructions:
            _apply(state, instr, model, df.escape or "\\")
    c = state.contract
    files = StageFiles(model, project)
    c.files = files.context_files(stage)
    c.executables = find_executables(c, files.outputs(stage), state.packages, state.run_texts)
    c.packages = sorted({name for name, _ in state.packages})
    c.made_dirs = sorted(set(state.made_dirs))
    c.dependencies = dependency_sources(model, stage, project)
    return c


def _from_base(state: _State, base: str | None) -> None:
    c = state.contract
    if base == "scratch":
        c.base_known, c.os_family, c.shell = True, "scratch", ["/bin/sh", "-c"]
        c.entrypoint_origin = c.cmd_origin = c.user_origin = "base"
        return
    info = base_facts(base)
    if info is None:
        c.entrypoint_origin = c.cmd_origin = c.user_origin = "unknown"
        c.env_unknown_base = True
        return
    c.base_known = True
    c.entrypoint, c.entrypoint_origin = (list(info.entrypoint) if info.entrypoint else None), "base"
    c.cmd, c.cmd_origin = (list(info.cmd) if info.cmd else None), "base"
    c.user, c.user_origin = normal_user(info.user), "base"
    c.workdir = info.workdir or "/"
    c.env = dict(info.env)
    state.base_env = dict(info.env)
    c.ports = sorted({normal_port(p) for p in info.exposed_ports})
    c.volumes = list(info.volumes)
    c.stopsignal = info.stopsignal
    if info.healthcheck:
        c.healthcheck = json.dumps(list(info.healthcheck))
    c.shell = list(info.shell) if info.shell else ["/bin/sh", "-c"]
    c.runtime, c.runtime_version, c.os_family = info.runtime, info.runtime_version, info.os_family


def _vars(state: _State, model: Model, instr: Instruction) -> dict[str, str | None]:
    """What ``instr`` can expand: the stage's ARGs, under the effective ENV (base image's included)."""
    env: dict[str, str | None] = dict(model.vars_at(instr))
    env.update({k: v for k, v in state.contract.env.items() if v is not None})
    return env


def _apply(state: _State, instr: Instruction, model: Model, esc: str) -> None:
    c, key, args = state.contract, instr.keyword, instr.args
    if key in {"CMD", "ENTRYPOINT"}:
        argv = list(args) if instr.json_form else [*c.shell, args[0] if args else ""]
        if key == "CMD":
            c.cmd, c.cmd_origin, state.cmd_set = argv, "dockerfile", True
        else:
            c.entrypoint, c.entrypoint_origin = argv, "dockerfile"
            if not state.cmd_set:  # BuildKit: ENTRYPOINT clears a CMD not set in the same stage
                c.cmd, c.cmd_origin = None, "dockerfile"
        return
    env = _vars(state, model, instr)
    if key == "ENV":
        for i in range(0, len(args) - 1, 3):
            name = expand(args[i], env, esc)
            if name:
                value = expand(args[i + 1], env, esc)
                c.env[name] = value
                env[name] = value
                state.base_env.pop(name, None)
    elif key == "USER" and args:
        c.user, c.user_origin = normal_user(expand(args[0], env, esc)), "dockerfile"
    elif key == "WORKDIR" and args:
        c.workdir = posixpath.normpath(posixpath.join(c.workdir, expand(args[0], env, esc))) or "/"
    elif key == "EXPOSE":
        for arg in args:
            c.expose_written.append(arg)
            for port in expand(arg, env, esc).split():
                if normal_port(port) not in c.ports:
                    c.ports.append(normal_port(port))
        c.ports.sort()
    elif key == "VOLUME":
        words = args if instr.json_form else [w for a in args for w in expand(a, env, esc).split()]
        c.volumes += [w for w in words if w not in c.volumes]
    elif key == "STOPSIGNAL" and args:
        c.stopsignal = expand(args[0], env, esc)
    elif key == "HEALTHCHECK":
        c.healthcheck = healthcheck_text(instr)
    elif key == "LABEL":
        for i in range(0, len(args) - 1, 3):
            name = expand(args[i], env, esc)
            if name and name not in c.label_keys:
                c.label_keys.append(name)
    elif key == "ONBUILD":
        c.onbuild.append(instr.rest.strip())
    elif key == "SHELL" and instr.json_form:
        c.shell = list(args)
    elif key == "RUN":
        _run(state, instr)


def _run(state: _State, instr: Instruction) -> None:
    from codi.parser.shell import parse_script
    from codi.rules.cd.commands import installed_packages, tool_calls

    script = "\n".join(h.content for h in instr.heredocs) if instr.heredocs else " ".join(instr.args)
    state.run_texts.append((script, instr.start_line))
    parsed = parse_script(script)
    for cmd in parsed.commands:
        plain = cmd.unwrapped()
        if plain.name == "mkdir":
            state.made_dirs += [posixpath.normpath(posixpath.join(state.contract.workdir, w))
                                for w in plain.argv[1:] if not w.startswith("-") and "$" not in w]
    for call in tool_calls(parsed):  # the package managers' installs, as the lint rules read them
        for name in installed_packages(call):
            if call.tool in {"yum", "dnf", "microdnf", "zypper"} and name[-1:].isdigit():
                name = name.split("-", 1)[0]  # an rpm name-version spec: the package's name
            state.packages.append((name, instr.start_line))
