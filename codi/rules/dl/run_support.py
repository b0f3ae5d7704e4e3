"""Shared reading of shell-form RUN scripts for the DL rules in the ``run_*`` modules.

Not a rule module: it gives those rules the stage's shell, the commands a RUN runs (heredoc
scripts included, heredoc data excluded), option/operand splitting, ``ARG``/``ENV`` expansion
of words and the mapping from script offsets back into the Dockerfile text for fixes.
"""

from __future__ import annotations

import shlex
from collections.abc import Iterator
from dataclasses import dataclass

from codi.parser.expand import UnresolvedVariable, expand_strict
from codi.parser.model import Instruction
from codi.parser.mounts import cache_targets
from codi.parser.semantic import Stage
from codi.parser.shell import Command, parse_script
from codi.rules.base import RuleContext

DEFAULT_SHELL = ("/bin/sh", "-c")
WINDOWS_SHELL = ("cmd", "/S", "/C")
POSIX_SHELLS = frozenset(["sh", "bash", "ash", "dash", "ksh", "mksh", "zsh", "busybox"])
_WINDOWS_IMAGE_HINTS = ("windows/", "windows:", "nanoserver", "servercore", "windowsservercore")


def shell_name(shell: tuple[str, ...]) -> str:
    """The shell program's base name, lower-cased (``/usr/bin/env bash`` -> ``bash``)."""
    words = list(shell)
    if words and words[0].rsplit("/", 1)[-1] == "env":
        words = [w for w in words[1:] if not w.startswith("-")]
    if not words:
        return ""
    return words[0].replace("\\", "/").rsplit("/", 1)[-1].lower().removesuffix(".exe")


def is_posix(shell: tuple[str, ...]) -> bool:
    return shell_name(shell) in POSIX_SHELLS


def has_pipefail(shell: tuple[str, ...]) -> bool:
    """``-o pipefail`` among the shell's options (``-eo pipefail`` and ``-euxo pipefail`` too)."""
    words = list(shell)
    for i, word in enumerate(words[:-1]):
        if (
            word.startswith("-")
            and not word.startswith("--")
            and word.endswith("o")
            and words[i + 1] == "pipefail"
        ):
            return True
    return any(w == "-opipefail" for w in words)


def _shells(ctx: RuleContext) -> dict[int, tuple[str, ...]]:
    """id(instruction) -> the shell it runs with, for every instruction of every stage, in one pass:
    the last SHELL before it in its stage, else the one its parent stage ends with (SHELL is part
    of the image config, so a stage built FROM an earlier stage inherits it), else the base
    image's default."""

    def walk(stage: Stage, inherited: tuple[str, ...] | None) -> tuple[str, ...]:
        shell = inherited if stage.base_stage is not None and inherited is not None else _image_shell(stage)
        for instr in stage.instructions:
            out[id(instr)] = shell
            if instr.keyword == "SHELL" and instr.json_form and instr.args:
                shell = tuple(instr.args)
        return shell

    out: dict[int, tuple[str, ...]] = {}
    ctx.per_stage("dl.shell-at-end", walk)
    return out


def _image_shell(stage: Stage) -> tuple[str, ...]:
    base = (stage.base_resolved or stage.base).lower()
    if any(hint in base for hint in _WINDOWS_IMAGE_HINTS):
        return WINDOWS_SHELL
    return DEFAULT_SHELL


def shell_at(ctx: RuleContext, instr: Instruction) -> tuple[str, ...]:
    """The shell a RUN runs with: the last SHELL before it in its stage, else its parent's."""
    return ctx.memo("dl.shells", lambda: _shells(ctx)).get(id(instr), DEFAULT_SHELL)


def image_stages(ctx: RuleContext) -> set[int]:
    """Indexes of the stages whose files end up in the final image (the final stage and the
    stages it is built FROM). Caches left in other stages never reach the image."""
    final = ctx.model.final_stage
    return {s.index for s in ctx.model.stage_chain(final)} if final is not None else set()


@dataclass(frozen=True, slots=True)
class Cmd:
    """One command of a RUN: ``cmd`` unwrapped (no sudo/env/VAR=), ``full`` as written."""

    cmd: Command
    full: Command
    inline: bool  # offsets point into instr.args[0] (False: inside a heredoc body)
    index: int  # position among the RUN's commands
    name: str = ""  # ``cmd.name``, kept: the rules ask for it tens of thousands of times a corpus

    def __post_init__(self) -> None:
        if not self.name:
            object.__setattr__(self, "name", self.cmd.name)


@dataclass(slots=True)
class Run:
    stage: Stage | None
    instr: Instruction
    shell: tuple[str, ...]
    cmds: list[Cmd]
    _by_name: dict[str, list[Cmd]] | None = None  # built on first use: rules ask by name thousands of times

    def named(self, *names: str) -> list[Cmd]:
        if self._by_name is None:
            self._by_name = {}
            for c in self.cmds:
                self._by_name.setdefault(c.name, []).append(c)
        if len(names) == 1:
            return list(self._by_name.get(names[0], ()))
        found = [c for name in set(names) for c in self._by_name.get(name, ())]
        return sorted(found, key=lambda c: c.index)

    def after(self, cmd: Cmd) -> list[Cmd]:
        return [c for c in self.cmds if c.index > cmd.index]


_SHEBANG_SHELLS = POSIX_SHELLS


def _heredoc_is_script(carrier: Command | None, content: str) -> bool:
    """A heredoc body runs as shell when it is the whole RUN (``RUN <<EOF``) or is fed to a
    shell (``RUN bash <<EOF``), and has no shebang naming another interpreter."""
    if content.startswith("#!"):
        first = content[2:].split("\n", 1)[0].split()
        if not first or shell_name(tuple(first)) not in _SHEBANG_SHELLS:
            return False
    if carrier is None:
        return True
    inner = carrier.unwrapped()
    return inner.name in POSIX_SHELLS and "-c" not in inner.argv[1:]


def _commands(ctx: RuleContext, instr: Instruction) -> list[tuple[Command, bool]]:
    if not instr.heredocs:
        script = ctx.script(instr)
        return [(c, True) for c in script.commands] if script is not None else []
    inline = parse_script(instr.args[0] if instr.args else "")
    out: list[tuple[Command, bool]] = [(c, True) for c in inline.commands]
    carriers: list[Command | None] = []
    for cmd in inline.commands:
        carriers.extend(
            cmd for op, _ in cmd.redirects if op.lstrip("0123456789").startswith("<<") and op != "<<<"
        )
    for i, doc in enumerate(instr.heredocs):
        carrier = carriers[i] if i < len(carriers) else None
        if _heredoc_is_script(carrier, doc.content):
            out.extend((c, False) for c in parse_script(doc.content).commands)
    return out


_cache: tuple[RuleContext, list[Run]] | None = None


def _exec_form_shell(instr: Instruction) -> tuple[tuple[str, ...], str] | None:
    """``RUN ["sh", "-c", "script"]``: (the shell with its options, the script)."""
    args = instr.args
    if not args or not is_posix(tuple(args[:1])) or "-c" not in args[1:-1]:
        return None
    at = args.index("-c", 1)
    return tuple(args[: at + 1]), args[at + 1]


def shell_runs(ctx: RuleContext) -> list[Run]:
    """Every RUN run by a POSIX shell, with its commands (computed once per file): shell form
    under a POSIX ``SHELL``, exec form that calls a shell (``["bash", "-c", "..."]``), and
    other exec form as the one command it runs."""
    global _cache
    if _cache is not None and _cache[0] is ctx:
        return _cache[1]
    runs: list[Run] = []
    shell: tuple[str, ...]
    for instr in ctx.dockerfile.instructions:
        if instr.keyword != "RUN":
            continue
        if instr.json_form:
            exec_shell = _exec_form_shell(instr)
            if exec_shell is None:
                # `RUN ["apt-get", "install", "curl"]`: one command, no shell (hadolint reads it too)
                shell, script = DEFAULT_SHELL, shlex.join(instr.args)
            else:
                shell, script = exec_shell
            found = [(c, False) for c in parse_script(script).commands]  # no fixes inside JSON
        else:
            shell = shell_at(ctx, instr)
            if not is_posix(shell):
                continue
            found = _commands(ctx, instr)
        cmds = []
        for i, (c, inline) in enumerate(found):
            inner = c.unwrapped()
            cmds.append(Cmd(inner, c, inline, i, inner.name))
        runs.append(Run(ctx.model.stage_of(instr), instr, shell, cmds))
    _cache = (ctx, runs)
    return runs


# --- options and operands -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Word:
    index: int  # into Command.argv
    text: str  # quotes removed
    raw: str  # as written


def split_args(
    cmd: Command, valued: frozenset[str] = frozenset(), start: int = 1
) -> tuple[list[Word], list[Word]]:
    """(options, operands) among ``cmd.argv[start:]``. An option in ``valued`` written without
    ``=`` (or an attached short value) swallows the next word as its value."""
    options: list[Word] = []
    operands: list[Word] = []
    i = start
    argv, raw = cmd.argv, cmd.raw_words
    only_operands = False
    while i < len(argv):
        word = Word(i, argv[i], raw[i] if i < len(raw) else argv[i])
        text = word.text
        if only_operands or text == "-" or not text.startswith("-"):
            operands.append(word)
        elif text == "--":
            only_operands = True
        else:
            options.append(word)
            if text in valued and i + 1 < len(argv):
                i += 1
        i += 1
    return options, operands


def option_value(cmd: Command, *names: str) -> str | None:
    """Value of the last ``--name value`` / ``--name=value`` / ``-nVALUE`` among ``names``."""
    found: str | None = None
    argv = cmd.argv
    for i, word in enumerate(argv[1:], start=1):
        if word == "--":
            break
        for name in names:
            if word == name and i + 1 < len(argv):
                found = argv[i + 1]
            elif name.startswith("--") and word.startswith(name + "="):
                found = word[len(name) + 1 :]
            elif len(name) == 2 and not name.startswith("--") and word.startswith(name) and len(word) > 2:
                found = word[2:].removeprefix("=")
    return found


def expand_word(
    ctx: RuleContext, instr: Instruction, word: Word, local: dict[str, str | None] | None = None
) -> list[str] | None:
    """The word after the shell expands ``ARG``/``ENV`` values (and ``local``: variables the
    script itself sets) into it, split on blanks when unquoted; None when a value cannot be
    known (build-time only, command substitution)."""
    text = word.text
    if "$" not in text and "`" not in text:
        return [text]
    if word.raw.startswith("'"):
        return [text]  # single quotes: no expansion
    if "$(" in text or "`" in text:
        return None
    env = ctx.model.vars_at(instr)
    try:
        value = expand_strict(text, {**env, **local} if local else env)
    except UnresolvedVariable:
        return None
    if word.raw.startswith('"'):
        return [value]
    return value.split()


# --- cache mounts and clean-up --------------------------------------------------------------


def cache_mount_targets(instr: Instruction) -> list[str]:
    """Targets of ``RUN --mount=type=cache`` (and tmpfs) mounts, without trailing slashes."""
    return [t.rstrip("/") or "/" for t in cache_targets(instr, tmpfs=True)]


def mounts_cache(instr: Instruction, *paths: str) -> bool:
    """A cache mount covers one of ``paths`` (a path ending, e.g. ``.cache/pip``)."""
    for target in cache_mount_targets(instr):
        for path in paths:
            if target == path or target.endswith("/" + path.lstrip("/")):
                return True
    return False


def removes(cmd: Command, *paths: str) -> bool:
    """``rm`` of one of ``paths``, of its contents (``/var/lib/apt/lists/*``) or of a parent."""
    if cmd.name != "rm":
        return False
    _, operands = split_args(cmd)
    for operand in operands:
        target = operand.text.rstrip("*").rstrip("/")
        for path in paths:
            p = path.rstrip("/")
            if target and (target == p or p.startswith(target + "/")):
                return True
    return False


_SPECIAL_BUILTINS = frozenset(["set", ":", "eval", "."])


def script_variables(ctx: RuleContext, run: Run) -> dict[str, str | None]:
    """Variables the script sets with plain assignments (``deps='a b'``, ``export X=1``), as
    values where they are literal or expand from known ARG/ENV values, else None. A name set
    twice to different values is unknown (None): the reader does not follow the order."""
    env = ctx.model.vars_at(run.instr)
    out: dict[str, str | None] = {}
    for c in run.cmds:
        raw = c.full.raw_words
        if raw and raw[0] in ("export", "readonly"):
            words = raw[1:]
        elif not c.cmd.argv or c.cmd.argv[0] in _SPECIAL_BUILTINS:
            words = raw  # assignments before a special builtin (`deps='a b' set -x`) persist too
        else:
            words = []
        for word in words:
            name, eq, value = word.partition("=")
            if not eq or not name.isidentifier():
                continue
            known: str | None
            if len(value) >= 2 and value[0] == value[-1] == "'":
                known = value[1:-1]
            elif "$(" in value or "`" in value or "'" in value:
                known = None
            else:
                try:
                    known = expand_strict(value.strip('"') if value[:1] == '"' else value, {**env, **out})
                except UnresolvedVariable:
                    known = None
            out[name] = known if name not in out or out[name] == known else None
    return out


def iter_operands(ctx: RuleContext, run: Run, words: list[Word]) -> Iterator[tuple[Word, str | None]]:
    """Each operand after expansion: (word, value) with value None when unknowable."""
    local = script_variables(ctx, run) if any("$" in w.text for w in words) else None
    for word in words:
        values = expand_word(ctx, run.instr, word, local)
        if values is None:
            yield word, None
            continue
        for value in values:
            yield word, value
