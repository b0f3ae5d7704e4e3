"""What the candidate templates read from the original's shipping stage beyond its runtime contract:
its system packages, its ENV lines without development-mode settings, the stages' bases, notes.

The runtime settings themselves (command, user, ports, ...) are the contract's (codi.optimise.contract).
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field

from codi.parser.expand import expand
from codi.parser.model import Dockerfile, Instruction
from codi.parser.semantic import Model, Stage

# The compile toolchain: what a build stage needs and a runtime image does not. Tools the app may call
# at run time (curl, git, wget, unzip) are not in it: the runtime contract keeps installed packages.
BUILD_ONLY_PACKAGES = {
    "build-essential", "gcc", "g++", "make", "cmake", "autoconf", "automake", "libtool", "pkg-config",
    "clang", "musl-dev", "linux-headers", "python3-dev", "build-base",
}


@dataclass(slots=True)
class OriginalFacts:
    base: str | None = None
    base_resolved: str | None = None
    stage_count: int = 0
    stage_bases: list[str] = field(default_factory=list)  # every stage's base image (resolved where known)
    target_stage: str | None = None
    notes: list[str] = field(default_factory=list)
    workdir: str | None = None
    user: str | None = None
    ports: list[str] = field(default_factory=list)
    env_lines: list[str] = field(default_factory=list)  # ENV instructions of the final stage, exact text
    cmd: list[str] | None = None  # exec-form argv, or ["/bin/sh", "-c", text] for shell form
    entrypoint: list[str] | None = None
    apt_packages: list[str] = field(default_factory=list)
    apk_packages: list[str] = field(default_factory=list)
    apk_specs: list[str] = field(default_factory=list)  # as written, pins included (`libpq=16.3-r0`)
    apt_specs: dict[str, str] = field(default_factory=dict)  # name -> as written, pins included (`curl=7.88*`)

    @property
    def runtime_packages(self) -> list[str]:
        """System packages the app may need at run time (build-only tools and -dev packages dropped)."""
        return [p for p in self.apt_packages if p not in BUILD_ONLY_PACKAGES and not p.endswith("-dev")]

    @property
    def port_numbers(self) -> list[int]:
        out: list[int] = []
        for port in self.ports:
            number = port.split("/", 1)[0]
            if number.isdigit():
                out.append(int(number))
        return out


def _line(instr: Instruction) -> str:
    """One instruction's text, trimmed of its trailing newline (CRLF too)."""
    return instr.text.rstrip("\r\n")


# Settings that switch an app into development mode; a candidate is a production image (the node
# template sets NODE_ENV=production itself, and a kept ENV line after it would undo that).
_DEV_ENV = {"NODE_ENV": {"development", "dev"}, "FLASK_ENV": {"development"}, "FLASK_DEBUG": {"1", "true"},
            "RAILS_ENV": {"development"}, "RACK_ENV": {"development"}, "APP_ENV": {"development", "dev"}}


PRODUCTION_MODE_NOTE = "the candidate runs in production mode"


def production_env(instr: Instruction, notes: list[str]) -> str:
    """The ENV line to keep in a candidate: the original's text, or without its development-mode pairs."""
    args = instr.args
    triples = [(args[i], args[i + 1], args[i + 2]) for i in range(0, len(args) - 2, 3)]
    keep = []
    for name, value, sep in triples:
        if value.strip("\"'").lower() in _DEV_ENV.get(name, ()):
            notes.append(f"dropped `{name}={value}` (line {instr.start_line}): {PRODUCTION_MODE_NOTE}")
            continue
        keep.append((name, value, sep))
    if len(keep) == len(triples):
        return _line(instr)
    if not keep:
        return ""
    return "ENV " + " ".join(f"{name}={value}" for name, value, _ in keep)


def _command(instr: Instruction) -> list[str]:
    """Exec-form argv, or ["/bin/sh", "-c", text] for shell form."""
    if instr.json_form:
        return list(instr.args)
    return ["/bin/sh", "-c", instr.args[0] if instr.args else ""]


_DEV_STAGE = re.compile(r"^(dev|devel|development|dev-?envs?|devcontainer|debug|test|tests|testing|lint|ci)$")


def target_stage(model: Model) -> Stage | None:
    """The stage that ships: the last one, unless that is a development/test stage built on top."""
    for stage in reversed(model.stages):
        if not (stage.name and _DEV_STAGE.match(stage.name)):
            return stage
    return model.final_stage


def read_facts(df: Dockerfile, model: Model, target: Stage | None = None) -> OriginalFacts:
    facts = OriginalFacts(stage_count=len(model.stages))
    facts.stage_bases = [s.base_resolved or s.base for s in model.stages if s.base_stage is None]
    stage = target or target_stage(model)
    if stage is None:
        return facts
    if target is None and stage is not model.final_stage:
        facts.notes.append(f"the last stage ({model.final_stage.name if model.final_stage else '?'}) is a "
                           f"development stage; candidates are built for stage {stage.name or stage.index}")
    facts.target_stage = stage.name
    # Settings inherited through `FROM <earlier stage>` count as the target stage's own.
    chain = model.stage_chain(stage)
    facts.base = chain[0].base
    facts.base_resolved = chain[0].base_resolved
    for st in chain:
        for instr in st.instructions:
            _take(facts, instr, model)
    return facts


def _take(facts: OriginalFacts, instr: Instruction, model: Model) -> None:
    key = instr.keyword
    if key == "WORKDIR" and instr.args:
        facts.workdir = instr.args[0]
    elif key == "USER" and instr.args:
        facts.user = instr.args[0]
    elif key == "EXPOSE":
        env = model.vars_at(instr)
        for arg in instr.args:
            for port in expand(arg, env).split():  # `EXPOSE $PORT` -> the ARG's value
                if port and port not in facts.ports:
                    facts.ports.append(port)
    elif key == "ENV":
        line = production_env(instr, facts.notes)
        if line:
            facts.env_lines.append(line)
    elif key == "CMD":
        facts.cmd = _command(instr)
    elif key == "ENTRYPOINT":
        facts.entrypoint = _command(instr)
        facts.cmd = None  # ENTRYPOINT resets an inherited CMD
    elif key == "RUN" and not instr.json_form and instr.args:
        _packages(facts, instr.args[0])


def _packages(facts: OriginalFacts, script: str) -> None:
    from codi.parser.shell import parse_script

    for cmd in parse_script(script).commands:
        plain = cmd.unwrapped()
        words = [w for w in plain.argv[1:] if not w.startswith("-")]
        if plain.name in {"apt-get", "apt"} and words[:1] == ["install"]:
            for spec in words[1:]:
                if "$" in spec:  # a variable (`$RUN_DEPS`), not a package name
                    continue
                name = spec.split("=", 1)[0]
                if name not in facts.apt_packages:
                    facts.apt_packages.append(name)
                facts.apt_specs.setdefault(name, spec)
        elif plain.name == "apk" and words[:1] == ["add"]:
            for spec in words[1:]:
                if "$" in spec:  # a variable (`$RUN_DEPS`), not a package name
                    continue
                name = spec.split("=", 1)[0]
                if name not in facts.apk_packages:
                    facts.apk_packages.append(name)
                    facts.apk_specs.append(spec)


def shell_words(text: str) -> list[str] | None:
    """Split a simple shell command into words; None when it uses shell syntax."""
    if any(ch in text for ch in "$`|&;<>(){}*?~") or "\\" in text:
        return None
    try:
        return shlex.split(text)
    except ValueError:
        return None
