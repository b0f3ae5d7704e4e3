"""The facts a candidate template sees: stack, versions, port, command, what to keep."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from codi.optimise.facts import OriginalFacts, shell_words
from codi.optimise.stack.model import StackMatch

DEFAULT_VERSIONS = {"python": "3.12", "node": "20", "go": "1.22", "java": "17", "rust": "1.79", "dotnet": "8.0"}
DEFAULT_PORTS = {"python": 8000, "node": 3000, "go": 8080, "java": 8080, "rust": 8080, "dotnet": 8080}
_BASE_REPOS = {
    "python": ("python", "pypy"), "node": ("node",), "go": ("golang",), "rust": ("rust",),
    "java": ("eclipse-temurin", "openjdk", "amazoncorretto", "maven", "gradle"), "dotnet": ("sdk", "aspnet", "runtime"),
}


@dataclass(slots=True)
class Command:
    """The command the candidate runs, and where it came from."""

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
    version: str
    port: int | None
    command: Command | None
    workdir: str
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "stack": self.stack, "facts": self.facts, "version": self.version, "port": self.port,
            "command": self.command, "workdir": self.workdir, "manifests": self.stack.manifests,
            "keep_lines": self.facts.arg_lines + self.facts.env_lines + self.facts.label_lines
            + self.facts.volume_lines,
            "ports": self.facts.ports or ([str(self.port)] if self.port else []),
            "runtime_packages": self.facts.runtime_packages,
        }


def stack_version(stack: StackMatch, facts: OriginalFacts) -> str:
    """The language version: from the original base image tag when it is this stack's image,
    else from the manifests, else a current default."""
    # The stack's own image in any stage (build stages included), the last one first.
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
            if stack.stack == "node":
                return version.split(".")[0]
            return version
    return DEFAULT_VERSIONS.get(stack.stack, "latest")


def build_context(stack: StackMatch, facts: OriginalFacts) -> TemplateContext:
    ports = facts.port_numbers
    port = ports[0] if ports else DEFAULT_PORTS.get(stack.stack)
    notes: list[str] = list(facts.notes)
    command: Command | None = None
    if stack.entrypoint is not None:
        command = Command(stack.entrypoint.argv, True, f"derived from {stack.entrypoint.source}")
    elif facts.entrypoint is not None or facts.cmd is not None:
        argv = facts.entrypoint or facts.cmd or []
        shell = facts.entrypoint_shell if facts.entrypoint is not None else facts.cmd_shell
        if shell is not None:
            words = shell_words(shell)
            argv = words if words else argv
        command = Command(argv, False, "kept from the original Dockerfile (could not derive one from the project)")
        notes.append(command.note)
    else:
        notes.append("no command could be derived and the original has none: the image keeps its base's default")
    if facts.apk_packages:
        # The templates install Debian packages (apt); Alpine names differ, so none is carried over blindly.
        notes.append(f"the original installs Alpine packages ({', '.join(facts.apk_packages[:8])}) that the "
                     "Debian-based candidates do not install: add the ones the app needs at run time "
                     "(names differ on Debian)")
    workdir = facts.workdir if facts.workdir and facts.workdir.startswith("/") else "/app"
    return TemplateContext(stack=stack, facts=facts, version=stack_version(stack, facts), port=port,
                           command=command, workdir=workdir, notes=notes)
