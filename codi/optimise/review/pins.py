"""Package versions a Dockerfile pins in its RUN steps: ``pip install poetry==1.1``, ``apt-get install
curl=7.88*``, ``apk add libpq=16.3-r0``, ``npm i -g pnpm@8.15.0``, ``gem install bundler -v 2.4``,
``composer require a/b:1.2``, ``go install x@v1``, ``cargo install x --version 1``.

A pin is (ecosystem, name, version); the review check wants each pin of the original in the candidate.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from codi.parser.expand import UnresolvedVariable, expand_strict
from codi.parser.model import Instruction
from codi.parser.semantic import Model
from codi.parser.shell import Command, parse_script


@dataclass(frozen=True, slots=True)
class Pin:
    ecosystem: str  # pip, apt, apk, npm, gem, composer, go, cargo
    name: str  # normalised: lower case (pip: "_" and "." as "-")
    version: str  # the constraint as written after the name ("==1.1", "=7.88*", "@8.15.0", "2.4")
    line: int

    @property
    def key(self) -> tuple[str, str]:
        return self.ecosystem, self.name

    def show(self) -> str:
        sep = "" if self.version[:1] in "=<>~!@:" else " "
        return f"{self.name}{sep}{self.version}"


# Options that take the next word as their value, per program (the value is not a package).
_VALUED = {
    "pip": {"-r", "--requirement", "-c", "--constraint", "-e", "--editable", "-t", "--target", "-i", "--index-url",
            "--extra-index-url", "-f", "--find-links", "--python", "--root", "--prefix", "--platform", "--src",
            "--cache-dir", "--progress-bar", "--trusted-host", "--only-binary", "--no-binary"},
    "apt": {"-o", "-t", "--target-release", "-c", "--config-file"},
    "apk": {"-X", "--repository", "-t", "--virtual", "--root", "-p", "--cache-dir", "--arch"},
    "npm": {"--prefix", "--registry", "--cache", "--omit", "--include", "--workspace", "-w", "--network-timeout",
            "--cwd", "--cache-folder", "--modules-folder", "--store-dir"},
    "gem": {"-i", "--install-dir", "-n", "--bindir", "-s", "--source", "-P", "--trust-policy", "--platform"},
    "composer": {"-d", "--working-dir"},
    "go": {"-o", "-ldflags", "-tags", "-gcflags", "-mod", "-C"},
    "cargo": {"--root", "--path", "--git", "--branch", "--tag", "--rev", "--target", "--features", "-F", "--bin",
              "--profile", "--registry", "--index", "-j", "--jobs"},
}
_PIP_SPEC = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?\s*((?:===|==|~=|<=|>=|!=|<|>)\s*\S.*)$")
_NPM_SPEC = re.compile(r"^(@?[^@\s]+)@(\S+)$")


def _norm_pip(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _words(cmd: Command, program: str, start: int) -> list[str]:
    """The operands of ``cmd`` from argv[start] on, option values skipped."""
    valued = _VALUED.get(program, set())
    out: list[str] = []
    argv = cmd.argv
    i = start
    while i < len(argv):
        word = argv[i]
        if word.startswith("-"):
            if word in valued:
                i += 1
        else:
            out.append(word)
        i += 1
    return out


def _option(cmd: Command, *names: str) -> str | None:
    for i, word in enumerate(cmd.argv):
        for name in names:
            if word == name and i + 1 < len(cmd.argv):
                return cmd.argv[i + 1]
            if name.startswith("--") and word.startswith(name + "="):
                return word.split("=", 1)[1]
    return None


def _pip(cmd: Command, line: int) -> list[Pin]:
    argv = cmd.argv
    name = cmd.name
    if re.match(r"^python[\d.]*$", name) and argv[1:3] == ["-m", "pip"]:
        start = 3
    elif name == "uv" and argv[1:2] == ["pip"]:
        start = 2
    elif re.match(r"^pip[\d.]*$", name) or name == "pipx":
        start = 1
    else:
        return []
    words = _words(cmd, "pip", start)
    if words[:1] != ["install"]:
        return []
    out = []
    for word in words[1:]:
        m = _PIP_SPEC.match(word.strip("'\""))
        if m:
            out.append(Pin("pip", _norm_pip(m.group(1)), re.sub(r"\s+", "", m.group(3)), line))
    return out


def _system(cmd: Command, line: int) -> list[Pin]:
    if cmd.name in {"apt-get", "apt", "aptitude"}:
        eco, verb = "apt", "install"
    elif cmd.name == "apk":
        eco, verb = "apk", "add"
    else:
        return []
    words = _words(cmd, eco, 1)
    if words[:1] != [verb]:
        return []
    out = []
    for word in words[1:]:
        name, sep, version = word.partition("~" if eco == "apk" and "=" not in word else "=")
        if sep and name and version:
            out.append(Pin(eco, name.lower(), sep + version, line))
    return out


def _node(cmd: Command, line: int) -> list[Pin]:
    words = _words(cmd, "npm", 1)
    name = cmd.name
    if name == "corepack" and words[:1] in (["prepare"], ["use"], ["install"]):
        specs = words[1:]
    elif name == "yarn" and words[:2] == ["set", "version"] and len(words) > 2:
        return [Pin("npm", "yarn", "@" + words[2], line)]
    elif name == "yarn" and words[:2] == ["global", "add"]:
        specs = words[2:]
    elif name in {"npm", "pnpm", "yarn"} and words[:1] and words[0] in {"install", "i", "add", "ci"}:
        specs = words[1:]
    elif name == "npx" or (name == "pnpm" and words[:1] == ["dlx"]):
        return []
    else:
        return []
    out = []
    for spec in specs:
        m = _NPM_SPEC.match(spec.strip("'\""))
        if m and m.group(2) not in {"latest", "next"}:
            out.append(Pin("npm", m.group(1).lower(), "@" + m.group(2), line))
    return out


def _gem(cmd: Command, line: int) -> list[Pin]:
    words = _words(cmd, "gem", 1)
    if cmd.name != "gem" or not words:
        return []
    if words[0] == "update" and "--system" in cmd.argv:
        version = _option(cmd, "--system")
        return [Pin("gem", "rubygems", version.strip("'\""), line)] if version and not version.startswith("-") else []
    if words[0] != "install":
        return []
    version = _option(cmd, "-v", "--version")
    out = []
    for word in words[1:]:
        word = word.strip("'\"")
        if version is not None and word == version:
            continue
        name, sep, pinned = word.partition(":")
        if sep and pinned:
            out.append(Pin("gem", name.lower(), pinned, line))
        elif version is not None:
            out.append(Pin("gem", word.lower(), version.strip("'\""), line))
    return out


def _composer(cmd: Command, line: int) -> list[Pin]:
    words = _words(cmd, "composer", 1)
    if cmd.name not in {"composer", "composer.phar"}:
        return []
    if words[:1] == ["self-update"] and len(words) > 1:
        return [Pin("composer", "composer", words[1], line)]
    if words[:2] == ["global", "require"]:
        words = words[1:]
    if words[:1] != ["require"]:
        return []
    out = []
    specs = words[1:]
    for i, spec in enumerate(specs):
        name, sep, version = spec.partition(":") if ":" in spec else spec.partition("=")
        if sep and version:
            out.append(Pin("composer", name.lower(), version, line))
        elif "/" in spec and i + 1 < len(specs) and "/" not in specs[i + 1]:
            out.append(Pin("composer", spec.lower(), specs[i + 1], line))
    return out


def _go_cargo(cmd: Command, line: int) -> list[Pin]:
    words = _words(cmd, cmd.name, 1) if cmd.name in {"go", "cargo"} else []
    if words[:1] != ["install"]:
        return []
    out = []
    version = _option(cmd, "--version") if cmd.name == "cargo" else None
    for word in words[1:]:
        name, sep, pinned = word.partition("@")
        if sep and pinned and pinned != "latest":
            out.append(Pin(cmd.name, name.lower(), "@" + pinned, line))
        elif version is not None and word != version:
            out.append(Pin(cmd.name, word.lower(), "@" + version, line))
    return out


_READERS = (_pip, _system, _node, _gem, _composer, _go_cargo)


def _scripts(instr: Instruction) -> list[str]:
    if instr.keyword != "RUN" or instr.json_form:
        return []
    return [h.content for h in instr.heredocs] if instr.heredocs else list(instr.args[:1])


def _expanded(cmd: Command, env: dict[str, str | None]) -> Command:
    """The command with ``$VAR`` words replaced where the ARG/ENV value is known (for comparing pins)."""
    argv = []
    for word in cmd.argv:
        if "$" in word:
            try:
                word = expand_strict(word, env)
            except UnresolvedVariable:
                pass
        argv.append(word)
    return replace(cmd, argv=argv)  # unwrapped() results are shared: never modified in place


def pins_of(model: Model) -> list[Pin]:
    """Every pin of every RUN of every stage (a pin in a build stage matters as much)."""
    out: list[Pin] = []
    for stage in model.stages:
        for instr in stage.instructions:
            env = model.vars_at(instr)
            for script in _scripts(instr):
                for command in parse_script(script).commands:
                    plain = _expanded(command.unwrapped(), env)
                    for reader in _READERS:
                        out += reader(plain, instr.start_line)
    return out
