"""How package managers and build tools look in RUN scripts (shared by the CD rules).

A ``ToolCall`` is one shell command normalised to a tool name and its subcommand:
``python3 -m pip install x`` -> tool ``pip``, sub ``install``; ``./mvnw -B package`` ->
tool ``mvn``, sub ``package``; ``apt install`` -> tool ``apt-get``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import cast

from codi.parser.shell import Command, Script

# Flags that take the next word as their value (so it is not a subcommand or package).
_VALUE_FLAGS: dict[str, frozenset[str]] = {
    "apt-get": frozenset({"-o", "-c", "-t", "--target-release", "--option", "--config-file"}),
    "yum": frozenset({"-c", "--enablerepo", "--disablerepo", "--installroot", "--releasever", "--setopt"}),
    "pip": frozenset({"-r", "--requirement", "-c", "--constraint", "-i", "--index-url", "--extra-index-url",
                      "-f", "--find-links", "-t", "--target", "--prefix", "--root", "-e", "--editable",
                      "--trusted-host", "--cache-dir", "--src", "--platform", "--python-version", "--python"}),
    "mvn": frozenset({"-f", "--file", "-s", "--settings", "-gs", "-P", "--activate-profiles", "-pl",
                      "--projects", "-rf", "-T", "--threads", "-l", "--log-file"}),
    "gradle": frozenset({"-p", "--project-dir", "-b", "--build-file", "-c", "-g", "--gradle-user-home",
                         "-I", "--init-script", "-x", "--exclude-task"}),
    "composer": frozenset({"-d", "--working-dir"}),
    "apk": frozenset({"-X", "--repository", "-t", "--virtual", "-p", "--root", "--cache-dir"}),
    "npm": frozenset({"--prefix", "-w", "--workspace", "--cache", "--omit", "--include"}),
    "yarn": frozenset({"--cwd", "--cache-folder", "--modules-folder"}),
    "pnpm": frozenset({"-C", "--dir", "--filter", "-F", "--store-dir"}),
    "go": frozenset({"-o", "-C"}),
    "curl": frozenset({"-o", "--output", "-H", "--header", "-u", "--user", "-d", "--data", "--data-raw",
                       "--data-binary", "-X", "--request", "-A", "--user-agent", "-e", "--referer", "--retry",
                       "--retry-delay", "--connect-timeout", "-m", "--max-time", "-w", "--write-out", "-T",
                       "--upload-file", "-x", "--proxy", "--cacert", "-E", "--cert", "--key", "-K", "--config",
                       "-b", "--cookie", "-c", "--cookie-jar", "--output-dir", "-r", "--range", "-F", "--form"}),
    "wget": frozenset({"-O", "--output-document", "-P", "--directory-prefix", "-o", "--output-file", "-a",
                       "-t", "--tries", "-T", "--timeout", "-e", "--execute", "--header", "-U", "--user-agent",
                       "--user", "--password", "-i", "--input-file"}),
    "git": frozenset({"-b", "--branch", "--depth", "-c", "-C", "--config", "-o", "--origin", "--reference"}),
    "unzip": frozenset({"-d", "-x"}),
    "chown": frozenset({"--reference"}),
    "chmod": frozenset({"--reference"}),
    "tar": frozenset({"-C", "--directory", "-f", "--file"}),
}
for _alias, _base in (("dnf", "yum"), ("microdnf", "yum"), ("tdnf", "yum"), ("zypper", "yum")):
    _VALUE_FLAGS[_alias] = _VALUE_FLAGS[_base]

_ALIASES = {
    "apt": "apt-get", "aptitude": "apt-get", "pip3": "pip", "yarnpkg": "yarn", "mvnw": "mvn",
    "gradlew": "gradle", "bundler": "bundle", "composer.phar": "composer", "tdnf": "yum",
}
_PYTHON = re.compile(r"^python(\d+(\.\d+)*)?$")
_PIP = re.compile(r"^pip\d+(\.\d+)*$")
_ASSIGNMENT = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)=(.*)$")


@dataclass(slots=True)
class ToolCall:
    tool: str  # normalised program name
    sub: str  # first positional word after the program ("" when none)
    words: list[str]  # every word after the subcommand (flags included), quotes removed
    rest: list[str]  # every word after the program
    command: Command  # the unwrapped command
    original: Command  # the command as written (VAR=x prefixes still there)
    index: int  # position in Script.commands

    def has(self, *flags: str) -> bool:
        return self.command.has_flag(*flags)

    def positional(self) -> list[str]:
        """Words after the subcommand that are neither flags nor flag values."""
        return positional(self.words, _VALUE_FLAGS.get("pip" if self.tool == "uv-pip" else self.tool, frozenset()))

    def operands(self) -> list[str]:
        """Every non-flag word after the program (the subcommand included)."""
        return positional(self.rest, _VALUE_FLAGS.get("pip" if self.tool == "uv-pip" else self.tool, frozenset()))

    def flag_values(self, *names: str) -> list[str]:
        """Values of ``--name value``/``--name=value``/``-n value`` anywhere after the program."""
        out: list[str] = []
        for i, w in enumerate(self.rest):
            for n in names:
                if w == n and i + 1 < len(self.rest):
                    out.append(self.rest[i + 1])
                elif n.startswith("--") and w.startswith(n + "="):
                    out.append(w[len(n) + 1:])
        return out

    def prefix_env(self) -> dict[str, str]:
        """``VAR=value`` assignments written before the program (``NODE_ENV=production npm ci``)."""
        env: dict[str, str] = {}
        for w in self.original.argv:
            m = _ASSIGNMENT.match(w)
            if not m:
                if w in ("env", "sudo", "-E") or w.startswith("-"):
                    continue
                break
            env[m.group(1)] = m.group(2)
        return env


def positional(words: list[str], value_flags: Iterable[str] = ()) -> list[str]:
    """Non-flag words, skipping the value after a flag that takes one; ``--`` ends flags."""
    vf = value_flags if isinstance(value_flags, (frozenset, set)) else set(value_flags)  # no copy per call
    out: list[str] = []
    skip = False
    flags_done = False
    for w in words:
        if skip:
            skip = False
            continue
        if flags_done or not w.startswith("-") or w == "-":
            out.append(w)
        elif w == "--":
            flags_done = True
        elif w in vf:
            skip = True
    return out


def tool_name(argv: list[str]) -> tuple[str, list[str]]:
    """(normalised tool, words after it) for an unwrapped argv."""
    if not argv:
        return "", []
    name = argv[0].rsplit("/", 1)[-1]
    rest = argv[1:]
    if _PYTHON.match(name) and len(rest) >= 2 and rest[0] == "-m":
        name, rest = rest[1], rest[2:]
    elif name == "php" and rest and rest[0].rsplit("/", 1)[-1] in ("composer", "composer.phar"):
        name, rest = "composer", rest[1:]
    if _PIP.match(name):
        name = "pip"
    name = _ALIASES.get(name, name)
    if name == "uv" and rest[:1] == ["pip"]:
        return "uv-pip", rest[1:]  # like pip, but caches in ~/.cache/uv
    return name, rest


def tool_calls(script: Script) -> list[ToolCall]:
    """The script's commands as tool calls, computed once per script: several rules read them
    (shared, do not modify the list)."""
    hit = script.derived.get("cd.tool-calls")
    if hit is None:
        hit = script.derived["cd.tool-calls"] = _tool_calls(script)
    return cast(list[ToolCall], hit)


def _tool_calls(script: Script) -> list[ToolCall]:
    calls: list[ToolCall] = []
    for i, cmd in enumerate(script.commands):
        un = cmd.unwrapped()
        tool, rest = tool_name(un.argv)
        if not tool:
            continue
        vf = _VALUE_FLAGS.get("pip" if tool == "uv-pip" else tool, frozenset())
        pos = positional(rest, vf)
        sub = pos[0] if pos else ""
        if not pos and rest[:1] and rest[0] in ("--version", "-v", "-V", "--help", "-h"):
            sub = rest[0]  # `yarn --version` is not a bare `yarn` (install)
        words = rest[rest.index(sub) + 1:] if sub else list(rest)
        calls.append(ToolCall(tool, sub, words, list(rest), un, cmd, i))
    return calls


def find(calls: list[ToolCall], tool: str, *subs: str) -> list[ToolCall]:
    """Calls of ``tool`` with one of ``subs`` (any subcommand when none given)."""
    return [c for c in calls if c.tool == tool and (not subs or c.sub in subs)]


# Package installs per system package manager: (tool, install subcommands).
SYSTEM_INSTALL: dict[str, tuple[str, ...]] = {
    "apt-get": ("install",),
    "apk": ("add",),
    "yum": ("install", "groupinstall"),
    "dnf": ("install", "groupinstall"),
    "microdnf": ("install",),
    "zypper": ("install", "in"),
}
SYSTEM_REMOVE: dict[str, tuple[str, ...]] = {
    "apt-get": ("remove", "purge", "autoremove"),
    "apk": ("del",),
    "yum": ("remove", "erase", "autoremove"),
    "dnf": ("remove", "erase", "autoremove"),
    "microdnf": ("remove",),
    "zypper": ("remove", "rm"),
}


def installed_packages(call: ToolCall) -> list[str]:
    """Package names a system package-manager install names (version pins stripped)."""
    if call.tool not in SYSTEM_INSTALL or call.sub not in SYSTEM_INSTALL[call.tool]:
        return []
    return [strip_version(p) for p in call.positional()]


def removed_packages(call: ToolCall) -> list[str]:
    if call.tool not in SYSTEM_REMOVE or call.sub not in SYSTEM_REMOVE[call.tool]:
        return []
    return [strip_version(p) for p in call.positional()]


def strip_version(pkg: str) -> str:
    """``gcc=4:12.2`` / ``gcc~=12`` / ``gcc-12.2-r0`` stays ``gcc-12.2-r0``; only ``=``/``<``/``>`` pins go."""
    return re.split(r"[=<>~]", pkg, maxsplit=1)[0] if not pkg.startswith("=") else pkg
