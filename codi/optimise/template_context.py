"""The facts a candidate template sees. Runtime settings come from the original's contract, never re-derived."""

from __future__ import annotations

import json
import posixpath
import re
from dataclasses import dataclass, field
from typing import Any

from codi.optimise.contract.diff import BUILD_TOOL_ENTRYPOINTS
from codi.optimise.contract.model import RuntimeContract
from codi.optimise.contract.programs import FILE_SUFFIXES
from codi.optimise.facts import OriginalFacts, _production_env
from codi.optimise.stack.model import StackMatch
from codi.parser.semantic import Model, Stage

DEFAULT_VERSIONS = {"python": "3.12", "node": "20", "go": "1.22", "java": "17", "rust": "1.79", "dotnet": "8.0",
                    "ruby": "3.3", "php": "8.3"}
_BASE_REPOS = {
    "python": ("python", "pypy"), "node": ("node",), "go": ("golang",), "rust": ("rust",),
    "java": ("eclipse-temurin", "openjdk", "amazoncorretto", "maven", "gradle"), "dotnet": ("sdk", "aspnet", "runtime"),
    "ruby": ("ruby",), "php": ("php",),
}
# Runtime instructions carried into a candidate as written, in the original's order.
_KEPT = {"ARG", "ENV", "LABEL", "VOLUME", "EXPOSE", "STOPSIGNAL", "SHELL", "HEALTHCHECK", "ONBUILD"}


@dataclass(slots=True)
class Command:
    """A start command CODI had to take from the project's manifests (only when the original has none)."""

    argv: list[str]
    derived: bool
    note: str

    @property
    def json(self) -> str:
        return json.dumps(self.argv)


@dataclass(slots=True)
class TemplateContext:
    stack: StackMatch
    facts: OriginalFacts
    contract: RuntimeContract
    version: str
    port: int | None
    command: Command | None  # only a manifest hint when neither the original nor its base has a command
    workdir: str
    runtime_lines: list[str] = field(default_factory=list)
    global_args: list[str] = field(default_factory=list)  # ARG lines before the original's first FROM
    entrypoint_line: str | None = None
    cmd_line: str | None = None
    context_copies: list[str] = field(default_factory=list)
    command_path: str | None = None  # absolute path of the program the command runs, where known
    jar_path: str | None = None  # absolute path of the jar the command runs, where known
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "stack": self.stack, "facts": self.facts, "contract": self.contract, "version": self.version,
            "port": self.port, "command": self.command, "workdir": self.workdir, "manifests": self.stack.manifests,
            "keep_lines": self.runtime_lines, "entrypoint_line": self.entrypoint_line, "cmd_line": self.cmd_line,
            "context_copies": self.context_copies, "command_path": self.command_path, "jar_path": self.jar_path,
            "runtime_packages": self.facts.runtime_packages,
        }


def stack_version(stack: StackMatch, facts: OriginalFacts, contract: RuntimeContract | None = None) -> str:
    """The language version: the runtime stage's (from the contract), else the stack's image in any
    stage, else the manifests, else a current default."""
    if contract is not None and contract.runtime == stack.stack and contract.runtime_version:
        return contract.runtime_version
    for ref in reversed(facts.stage_bases + [facts.base_resolved or facts.base or ""]):
        repo = ref.split("@", 1)[0].rsplit("/", 1)[-1]
        name, _, tag = repo.partition(":")
        if name not in _BASE_REPOS.get(stack.stack, ()) or not tag:
            continue
        if name in {"maven", "gradle"}:
            jdk = re.search(r"(?:jdk|temurin|java)-?(\d+)", tag)
            m = re.match(r"(\d+)", jdk.group(1)) if jdk else None
        else:
            m = re.match(r"(\d+(?:\.\d+)?)", tag)
        if m:
            return m.group(1)
    if stack.runtime_version:
        m = re.search(r"(\d+(?:\.\d+)?)", stack.runtime_version)
        if m:
            version = m.group(1)
            return version.split(".")[0] if stack.stack == "node" else version
    return DEFAULT_VERSIONS.get(stack.stack, "latest")


def _line(text: str) -> str:
    return text.rstrip("\r\n")


def _command_lines(ctx: TemplateContext, chain: list[Stage]) -> None:
    """ENTRYPOINT and CMD exactly as the original has them; written out when they come from its base."""
    c = ctx.contract
    last = {k: None for k in ("ENTRYPOINT", "CMD")}  # type: dict[str, Any]
    for st in chain:
        for instr in st.instructions:
            if instr.keyword in last:
                last[instr.keyword] = instr
    if c.entrypoint_origin == "dockerfile" and last["ENTRYPOINT"] is not None:
        ctx.entrypoint_line = _line(last["ENTRYPOINT"].text)
    elif c.entrypoint_origin == "base" and c.entrypoint \
            and posixpath.basename(c.entrypoint[0]) not in BUILD_TOOL_ENTRYPOINTS:
        ctx.entrypoint_line = "ENTRYPOINT " + json.dumps(c.entrypoint)
    if c.cmd_origin == "dockerfile" and last["CMD"] is not None and c.cmd is not None:
        ctx.cmd_line = _line(last["CMD"].text)
    elif c.cmd_origin == "base" and c.cmd:
        ctx.cmd_line = "CMD " + json.dumps(c.cmd)


def _command_path(c: RuntimeContract) -> str | None:
    for exe in c.executables:
        if exe.used_by in {"ENTRYPOINT", "CMD"} and exe.provider in {"stage", "package"} \
                and not exe.name.endswith(FILE_SUFFIXES):
            if exe.name.startswith("/"):
                return exe.name
            return f"/usr/local/bin/{exe.name}"
    return None


def build_context(stack: StackMatch, facts: OriginalFacts, contract: RuntimeContract,
                  model: Model | None = None, stage: Stage | None = None) -> TemplateContext:
    ports = facts.port_numbers
    notes: list[str] = list(facts.notes)
    ctx = TemplateContext(stack=stack, facts=facts, contract=contract, version=stack_version(stack, facts, contract),
                          port=ports[0] if ports else None, command=None, workdir=contract.workdir or "/",
                          notes=notes)
    chain = model.stage_chain(stage) if model is not None and stage is not None else []
    if model is not None:
        ctx.global_args = [_line(instr.text) for instr in model.global_args]
    for st in chain:
        for instr in st.instructions:
            if instr.keyword == "ENV":
                line = _production_env(instr, [])
                if line:
                    ctx.runtime_lines.append(line)
            elif instr.keyword in _KEPT:
                ctx.runtime_lines.append(_line(instr.text))
            elif instr.keyword in {"COPY", "ADD"} and instr.flag("from") is None:
                ctx.context_copies.append(_line(instr.text))
    _command_lines(ctx, chain)
    ctx.command_path = _command_path(contract)
    ctx.jar_path = next((posixpath.normpath(posixpath.join(ctx.workdir, e.name)) for e in contract.executables
                         if e.name.endswith(".jar")), None)
    unknown = "unknown" in (contract.entrypoint_origin, contract.cmd_origin)
    if unknown:
        notes.append(f"the base image {contract.base} is unknown to CODI: candidates on another base are not "
                     "offered, because its command, environment and user cannot be kept")
    elif ctx.entrypoint_line is None and ctx.cmd_line is None and stack.entrypoint is not None:
        ctx.command = Command(stack.entrypoint.argv, True, f"derived from {stack.entrypoint.source}")
        notes.append(f"neither the original nor its base sets a command: the candidates use one {ctx.command.note} "
                     "(high risk)")
    if facts.apk_packages:
        notes.append(f"the original installs Alpine packages ({', '.join(facts.apk_packages[:8])}) that the "
                     "Debian-based candidates do not install: add the ones the app needs at run time "
                     "(names differ on Debian)")
    return ctx
