"""The facts a candidate template sees. Runtime settings come from the original's contract, never re-derived."""

from __future__ import annotations

import json
import posixpath
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from codi import safefs
from codi.optimise.contract.diff import BUILD_TOOL_ENTRYPOINTS
from codi.optimise.contract.model import RuntimeContract
from codi.optimise.contract.ports import privileged_port
from codi.optimise.contract.programs import FILE_SUFFIXES
from codi.optimise.facts import OriginalFacts, production_env
from codi.optimise.install_scope import scope_values
from codi.optimise.node_scripts import Scripts, check
from codi.optimise.stack.files import read_json
from codi.optimise.stack.model import StackMatch
from codi.parser.expand import expand
from codi.parser.model import Instruction
from codi.parser.semantic import Model, Stage
from codi.parser.shell import Command as ShellCommand
from codi.parser.shell import parse_script

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
    command: Command | None  # only a manifest hint when neither the original nor its base has a command
    workdir: str
    runtime_lines: list[str] = field(default_factory=list)
    global_args: list[str] = field(default_factory=list)  # ARG lines before the original's first FROM
    entrypoint_line: str | None = None
    cmd_line: str | None = None
    context_copies: list[str] = field(default_factory=list)
    # The original's built stage(s) after FROM, as written, less the RUNs that only install dependencies
    # (a build stage does that): for templates that keep the original's own setup (ruby, php).
    final_lines: list[str] = field(default_factory=list)
    env_lines: list[str] = field(default_factory=list)  # the original's ARG and ENV lines, for build stages
    native_libs: list[str] = field(default_factory=list)  # Debian libraries the project's native gems need
    # The original's RUN steps of its built stage that the template does not do itself (mkdir, chmod,
    # collectstatic...), as written: they run after the copies, as root, like in the original.
    setup_runs: list[str] = field(default_factory=list)
    # Those of them that came before the first COPY/ADD: a template runs them before its own copies too,
    # so that a source edit does not re-run them.
    early_runs: list[str] = field(default_factory=list)
    # Package versions the original pins ({"pip": {"poetry": "poetry==1.1"}, "npm": {"pnpm": "pnpm@8.15.0"}}):
    # a template that installs the same tool installs the same version.
    pinned: dict[str, dict[str, str]] = field(default_factory=dict)
    # The original's `COPY --from=IMAGE` of uv's binaries (uv's documented set-up), as written: a template
    # that needs uv copies it from the same image instead of installing it with pip.
    uv_copy: str | None = None
    # The original runs as root and binds a port below 1024 (exposed or named by its command): the template
    # keeps root, since a non-root user binds it only where the runtime allows (Docker 20.10+, not Kubernetes).
    keep_root: bool = False
    # The original makes its own user in a RUN before its copies and runs as it (`docker init`: adduser --uid
    # 10001 appuser, USER appuser): the python templates run as that user, made by that RUN (kept), not by a
    # useradd of their own, whose UID may clash ("The UID 10001 is already in use").
    own_user: str | None = None
    command_path: str | None = None  # absolute path of the program the command runs, where known
    jar_path: str | None = None  # absolute path of the jar the command runs, where known
    notes: list[str] = field(default_factory=list)
    # Install options that keep the original's dependency scope (codi.optimise.install_scope).
    scope: dict[str, Any] = field(default_factory=dict)
    # The package scripts the original runs (node): the template's build stage runs them, not its runtime.
    scripts: Scripts = field(default_factory=Scripts)

    def build_runs(self) -> list[str]:
        """The commands a node template's build stage runs after its install, once each: the original's
        scripts, else `<pm> run build` when package.json has a build script."""
        pm = self.stack.package_manager or "npm"
        if self.scripts.runs:
            return self.scripts.commands(pm)
        return [f"{pm} run {self.stack.build_target}"] if self.stack.stack == "node" and self.stack.build_target else []

    def as_dict(self) -> dict[str, Any]:
        return {
            "stack": self.stack, "facts": self.facts, "contract": self.contract, "version": self.version,
            "port": (self.facts.port_numbers or [None])[0], "command": self.command, "workdir": self.workdir, "manifests": self.stack.manifests,
            "keep_lines": self.runtime_lines, "entrypoint_line": self.entrypoint_line, "cmd_line": self.cmd_line,
            "context_copies": self.context_copies, "final_lines": self.final_lines, "setup_runs": self.setup_runs, "early_runs": self.early_runs, "pinned": self.pinned,
            "poetry_main_only": _poetry_main_only(self.pinned), "env_lines": self.env_lines, "command_path": self.command_path, "jar_path": self.jar_path,
            "runtime_packages": self.facts.runtime_packages, "pip_deps": pip_deps(self.contract),
            "scope": self.scope, "build_runs": self.build_runs(), "build_env": self.scripts.env,
            "uv_copy": self.uv_copy, "keep_root": self.keep_root, "own_user": self.own_user,
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


# Programs whose RUN steps only install the app's dependencies, per stack (a build stage does it instead).
_INSTALLERS = {"ruby": {"bundle", "bundler"}, "php": {"composer"}}


def _only_installs(instr: Instruction, stack: str) -> bool:
    tools = _INSTALLERS.get(stack)
    if tools is None or instr.keyword != "RUN" or instr.json_form or instr.heredocs or not instr.args:
        return False
    commands = [c.unwrapped() for c in parse_script(instr.args[0]).commands]
    return bool(commands) and all(c.name in tools and c.argv[1:2] in (["install"], ["config"]) for c in commands)


# Dependency installs the node and python templates do themselves in their build stages, and system
# package installs they redo with only the run-time packages.
_TEMPLATE_DOES = {"npm": {"ci", "install", "i", "prune", "cache"}, "yarn": {"install", "", "cache"},
                  "pnpm": {"install", "i", "prune", "fetch"}, "pip": {"install"}, "pip3": {"install"},
                  "poetry": {"install", "config"}, "uv": {"sync", "pip"}, "corepack": {"enable"},
                  "apt-get": None, "apt": None, "apk": None, "cd": None, "rm": None, "true": None}


def _template_does(instr: Instruction, stack: str) -> bool:
    from codi.parser.shell import parse_script

    if stack not in {"node", "python"} or instr.json_form or instr.heredocs or not instr.args:
        return False
    return all(_command_done(cmd) for cmd in parse_script(instr.args[0]).commands)


def _command_done(cmd: ShellCommand) -> bool:
    plain = cmd.unwrapped()
    name = "pip" if plain.argv[:3] in (["python", "-m", "pip"], ["python3", "-m", "pip"]) else plain.name
    words = [w for w in (plain.argv[3:] if name != plain.name else plain.argv[1:]) if not w.startswith("-")]
    if name not in _TEMPLATE_DOES:
        return False
    subs = _TEMPLATE_DOES[name]
    if subs is not None and (words[0] if words else "") not in subs:
        return False
    return name != "rm" or all(w.startswith(("/var/lib/apt", "/var/cache", "/tmp", "/root/.")) for w in words)


def _command_path(c: RuntimeContract) -> str | None:
    for exe in c.executables:
        if exe.used_by in {"ENTRYPOINT", "CMD"} and exe.provider in {"stage", "package"} \
                and not exe.name.endswith(FILE_SUFFIXES):
            if exe.name.startswith("/"):
                return exe.name
            return f"/usr/local/bin/{exe.name}"
    return None


# Gems with native extensions -> the Debian runtime library they link against (absent from -slim images).
NATIVE_GEM_LIBS = {"pg": "libpq5", "mysql2": "libmariadb3", "rmagick": "libmagickwand-6.q16-6",
                   "ruby-vips": "libvips42", "sqlite3": "libsqlite3-0", "curb": "libcurl4",
                   "ruby-filemagic": "libmagic1", "charlock_holmes": "libicu72"}
# The Debian packages that bring each of those libraries along (their -dev package depends on them).
_LIB_PROVIDERS = {"libpq5": ("libpq-dev",), "libmariadb3": ("libmariadb-dev", "default-libmysqlclient-dev"),
                  "libmagickwand-6.q16-6": ("libmagickwand-dev", "imagemagick"), "libvips42": ("libvips-dev",),
                  "libsqlite3-0": ("libsqlite3-dev", "sqlite3"), "libcurl4": ("libcurl4-openssl-dev", "curl"),
                  "libmagic1": ("libmagic-dev", "file"), "libicu72": ("libicu-dev",)}


def native_gem_libs(project: Path | None) -> list[str]:
    """Runtime libraries for the native gems Gemfile.lock lists (top-level specs, `    name (version)`)."""
    if project is None:
        return []
    try:
        text = safefs.read_text(project / "Gemfile.lock", project, errors="replace")
    except (OSError, ValueError):
        return []
    gems = set(re.findall(r"^    ([A-Za-z0-9_.-]+) \(", text, re.M))
    return sorted({lib for gem, lib in NATIVE_GEM_LIBS.items() if gem in gems})


def build_context(stack: StackMatch, facts: OriginalFacts, contract: RuntimeContract,
                  model: Model | None = None, stage: Stage | None = None,
                  project: Path | None = None) -> TemplateContext:
    notes: list[str] = list(facts.notes)
    ctx = TemplateContext(stack=stack, facts=facts, contract=contract, version=stack_version(stack, facts, contract),
                          command=None, workdir=contract.workdir or "/",
                          notes=notes)
    chain = model.stage_chain(stage) if model is not None and stage is not None else []
    if model is not None:
        ctx.global_args = [_line(instr.text) for instr in model.global_args]
    copied = False
    pending: list[str] = []  # ARG/ENV lines before the first copy, not yet needed by an early RUN
    here: str | None = None  # the WORKDIR so far (None: the base image's)
    for st in chain:
        for instr in st.instructions:
            copied = copied or instr.keyword in {"COPY", "ADD"}
            if not _only_installs(instr, stack.stack):
                ctx.final_lines.append(_line(instr.text))
            if instr.keyword == "WORKDIR" and instr.args and model is not None:
                here = posixpath.normpath(posixpath.join(here or "/", expand(instr.args[0], model.vars_at(instr),
                                                                             model.dockerfile.escape or "\\")))
            if stack.stack == "node" and ctx.scripts.take(instr, _command_done, ctx.workdir, here, ctx.env_lines):
                continue  # to the template's build stage, not its runtime stage
            if instr.keyword == "RUN" and not _template_does(instr, stack.stack):
                if copied:
                    ctx.setup_runs.append(_line(instr.text))
                else:  # with the ARG/ENV lines it may read, in the original's order (not again later)
                    ctx.early_runs += pending + [_line(instr.text)]
                    ctx.runtime_lines = [ln for ln in ctx.runtime_lines if ln not in pending]
                    pending = []
            if instr.keyword in {"ARG", "ENV"}:
                ctx.env_lines.append(_line(instr.text))
            line = production_env(instr, []) if instr.keyword == "ENV" else _line(instr.text)
            if instr.keyword in _KEPT and line:
                ctx.runtime_lines.append(line)
                if not copied and instr.keyword in {"ARG", "ENV"}:
                    pending.append(line)
            elif instr.keyword in {"COPY", "ADD"} and instr.flag("from") is None:
                ctx.context_copies.append(_line(instr.text))
            elif model is not None and _copies_uv(model, instr):
                ctx.uv_copy = _line(instr.text)
    _command_lines(ctx, chain)
    if stack.stack == "node":
        check(ctx.scripts, read_json(project / "package.json") if project is not None else None, ctx.workdir, here)
    if model is not None:
        from codi.optimise.review.pins import pins_of

        for pin in pins_of(model):
            sep = "" if pin.version[:1] in "=<>~!@" else "=="
            ctx.pinned.setdefault(pin.ecosystem, {}).setdefault(pin.name, f"{pin.name}{sep}{pin.version}")
    if stack.stack == "ruby":  # not again when the original's own steps (kept as written) install them
        ctx.native_libs = [lib for lib in native_gem_libs(project)
                           if not {lib, *_LIB_PROVIDERS.get(lib, ())} & set(facts.apt_packages)]
    ctx.command_path = _command_path(contract)
    ctx.scope = scope_values(contract, stack.package_manager, ctx.pinned, project, drop_dev=False)
    ctx.scope["poetry_root"] = _installs_project(chain, "poetry", "install", "--no-root")
    ctx.scope["uv_project"] = _installs_project(chain, "uv", "sync", "--no-install-project", "--only-group",
                                                "--only-dev")
    # The command runs poetry (`poetry run ...`): the runtime keeps Poetry's own virtualenv; uv likewise.
    ctx.scope["poetry_at_runtime"] = _runs(contract, "poetry")
    ctx.scope["uv_at_runtime"] = _runs(contract, "uv")
    if model is not None:
        ctx.own_user = _own_user(model, chain)
    low = privileged_port(contract)
    if low is not None and (contract.user or "root").split(":", 1)[0] in {"root", "0"}:
        ctx.keep_root = True
        notes.append(f"keeps the original's user (root): the app binds port {low}, which a non-root user can bind "
                     "only where the runtime allows it (Docker 20.10 and later do; Kubernetes and plain Linux do "
                     "not); move the app to a port of 1024 or more to run it as non-root")
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
    return ctx


_MAKES_USER = re.compile(r"(?:^|[\s;&|(])(?:useradd|adduser)\s")


def _own_user(model: Model, chain: list[Stage]) -> str | None:
    """The user the original's last USER names, when a RUN of its chain before any COPY or ADD makes a user
    (the templates run those RUNs before their own copies, which may --chown to it) and the user is not
    root; None otherwise."""
    made = copied = False
    user: str | None = None
    for st in chain:
        for instr in st.instructions:
            copied = copied or instr.keyword in {"COPY", "ADD"}
            if instr.keyword == "RUN" and not copied and _MAKES_USER.search(instr.text):
                made = True
            elif instr.keyword == "USER" and instr.args:
                value = expand(instr.args[0], model.vars_at(instr), model.dockerfile.escape or "\\")
                user = value if made else None
    if user is None or user.split(":", 1)[0] in {"root", "0", ""} or not re.fullmatch(r"[\w.:-]+", user):
        return None
    return user


def _runs(contract: RuntimeContract, tool: str) -> bool:
    """Whether the command runs ``tool`` (``poetry run ...``, ``/bin/uv run app.py``)."""
    word = re.compile(rf"(?:^|[\s/;&|(]){re.escape(tool)}(?:\s|$)")
    return any(word.search(w) for w in (contract.entrypoint or []) + (contract.cmd or []))


def _copies_uv(model: Model, instr: Instruction) -> bool:
    """A ``COPY --from=IMAGE ... uv ...`` from an image (not a stage of the file) that brings uv's binary."""
    source = instr.flag("from")
    if instr.keyword != "COPY" or source is None or not source.value or model.stage_by_ref(source.value) is not None:
        return False
    return any(posixpath.basename(arg.rstrip("/")) == "uv" for arg in instr.args[:-1])


def _installs_project(chain: list[Stage], tool: str, sub: str, *without: str) -> bool:
    """Whether the original's `poetry install` / `uv sync` installs the project itself: not when each one
    says --no-root / --no-install-project (then a source edit need not run the tool again, and the
    virtualenv stays as it was). True where it runs none (the templates' default)."""
    installs = [cmd.unwrapped().argv for st in chain for instr in st.instructions
                if instr.keyword == "RUN" and not instr.json_form and instr.args
                for cmd in parse_script(instr.args[0]).commands
                if cmd.unwrapped().name == tool and sub in cmd.unwrapped().argv[1:2]]
    return not installs or any(not any(flag in argv for flag in without) for argv in installs)


def pip_deps(contract: RuntimeContract) -> dict[str, Any] | None:
    """How the original installs its pip dependencies, for a template to do the same (issue 24): the
    requirements files, the inline specs (shell-quoted), whether the project's own list. None: it names none."""
    found = [d for d in contract.dependencies if d.manager == "pip"]
    if not found:
        return None
    return {"files": [d.source for d in found if d.source not in {"inline", "project"}],
            "inline": [shlex.quote(p) for d in found if d.source == "inline" for p in d.packages],
            "project": any(d.source == "project" for d in found),
            "extras": sorted({s.split(":", 1)[1] for d in found if d.source == "project" for s in d.scope})}


def _poetry_main_only(pinned: dict[str, dict[str, str]]) -> str:
    """The `poetry install` option that leaves dev dependencies out, for the Poetry the original pins
    (``--no-dev`` before 1.2, ``--only main`` since)."""
    spec = pinned.get("pip", {}).get("poetry", "")
    m = re.search(r"==\s*(\d+)\.(\d+)", spec)
    return "--no-dev" if m and (int(m.group(1)), int(m.group(2))) < (1, 2) else "--only main"


def apk_note(facts: OriginalFacts) -> str | None:
    """What a candidate on a Debian-family base leaves out of an Alpine original (None: nothing)."""
    if not facts.apk_packages:
        return None
    return (f"the original installs Alpine packages ({', '.join(facts.apk_packages[:8])}) that this "
            "Debian-based candidate does not install: add the ones the app needs at run time (names differ on Debian)")
