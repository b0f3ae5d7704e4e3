"""Turn the shell-form RUN instructions of a Dockerfile into scripts for ShellCheck, and map
positions in those scripts back to the Dockerfile.

BuildKit joins continuation lines before running a RUN, so the script of
``RUN a \\<newline> && b`` is one line; each script character remembers the file offset it
came from, so a ShellCheck column lands on the right line and column of the Dockerfile.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from codi.parser.model import Heredoc, Instruction
from codi.parser.semantic import Stage
from codi.rules.base import RuleContext

# Shell program (basename of SHELL's first word) -> ShellCheck dialect; None = not a shell
# ShellCheck understands (zsh, fish, powershell, cmd, python, ...): skipped.
_DIALECTS = {
    "sh": "sh",
    "dash": "sh",
    "ash": "sh",
    "busybox": "sh",
    "bash": "bash",
    "ksh": "ksh",
    "ksh93": "ksh",
    "mksh": "ksh",
}
# Base images whose /bin/sh is bash (RHEL family): their default shell is checked as bash.
_BASH_SH_IMAGES = frozenset(
    {"centos", "fedora", "rockylinux", "almalinux", "amazonlinux", "oraclelinux", "ubi", "ubi8", "ubi9"}
)
# Windows images run RUN with `cmd /S /C` unless SHELL says otherwise: not shell.
_WINDOWS_IMAGE = re.compile(r"windows|nanoserver|servercore|ltsc20\d\d", re.IGNORECASE)
_SINGLE_HEREDOC = re.compile(r"""\s*\d*<<-?\s*(["']?)[^\s"']+\1\s*""")
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass(slots=True)
class ShellScript:
    """One RUN script: its text for ShellCheck and, per character, the Dockerfile offset."""

    ctx: RuleContext
    instr: Instruction
    dialect: str
    body: str
    offsets: Sequence[int]  # a list, or a slice of the instruction's own offsets (a range or an array)
    declared: list[str] = field(default_factory=list)
    _starts: list[int] = field(default_factory=list)
    _prelude: str = ""  # ``prelude``, made once (text() and every finding's position ask for it)

    @property
    def prelude(self) -> str:
        """Shebang (the dialect) and ``export NAME=x`` of the stage's ARG/ENV names, so that
        ShellCheck knows they are set (no SC2154) without calling them unused (no SC2034), and
        takes them as plain words as hadolint's ShellCheck pass does: no SC2086 for an unquoted
        ``$NAME`` the Dockerfile declares (a build argument or image setting, not user input)."""
        if not self._prelude:
            lines = [f"#!/bin/{self.dialect}"]
            if self.declared:
                lines.append("export " + " ".join(f"{name}=x" for name in self.declared))
            self._prelude = "\n".join(lines) + "\n"
        return self._prelude

    @property
    def prelude_lines(self) -> int:
        return self.prelude.count("\n")

    def text(self) -> str:
        return self.prelude + self.body + "\n"

    def file_offset(self, line: int, column: int) -> int | None:
        """File offset for a 1-based (line, column) of ``text()``; None inside the prelude."""
        body_line = line - self.prelude_lines
        if body_line < 1:
            return None
        if not self._starts:
            self._starts = [0] + [m.end() for m in re.finditer("\n", self.body)]
        if body_line > len(self._starts):
            return self.offsets[-1] if self.offsets else None
        index = self._starts[body_line - 1] + max(column - 1, 0)
        if not self.offsets:
            return None
        return self.offsets[min(index, len(self.offsets) - 1)]

    def insertion_offset(self, line: int, column: int) -> int | None:
        """File offset of the point just before (line, column) of ``text()`` (just after the
        previous character at the end of a line); None inside the prelude."""
        body_line = line - self.prelude_lines
        if body_line < 1 or not self.offsets:
            return None
        self.file_offset(line, 1)  # fills the line index
        if body_line > len(self._starts):
            return None
        index = self._starts[body_line - 1] + max(column - 1, 0)
        if index < len(self.offsets) and (column == 1 or self.body[index - 1] != "\n"):
            return self.offsets[index]
        return self.offsets[min(index, len(self.offsets)) - 1] + 1


def _image_name(ref: str) -> str:
    name = ref.split("@", 1)[0]
    last = name.rsplit("/", 1)[-1]
    return last.split(":", 1)[0].lower()


def stage_dialect(ctx: RuleContext, instr: Instruction) -> str | None:
    """The ShellCheck dialect RUN ``instr`` runs under: the last SHELL before it in its stage
    or a parent stage; otherwise /bin/sh (bash on RHEL-family images), or None for Windows
    images (``cmd``) and files using the backtick escape character (a Windows convention)."""
    if ctx.model.stage_of(instr) is None:
        return "sh"
    return ctx.memo("sc.dialects", lambda: _dialects(ctx)).get(id(instr), "sh")


def _dialects(ctx: RuleContext) -> dict[int, str | None]:
    """id(instruction) -> its dialect, for every instruction, in one pass over the stages (a walk
    up the FROM chain for each RUN is quadratic in a file of many stages)."""
    out: dict[int, str | None] = {}

    def walk(stage: Stage, inherited: tuple[str | None, Stage] | None) -> tuple[str | None, Stage]:
        # (the dialect the last SHELL so far says, or "" for none yet; the chain's root stage)
        shell, root = inherited if stage.base_stage is not None and inherited is not None else ("", stage)
        default = _default_dialect(ctx, root)  # once per stage, not per instruction
        for other in stage.instructions:
            out[id(other)] = default if shell == "" else shell
            if other.keyword == "SHELL" and other.args:
                program = posixpath.basename(other.args[0].replace("\\", "/")).lower().removesuffix(".exe")
                shell = _DIALECTS.get(program)
        return shell, root

    ctx.per_stage("sc.dialect-at-end", walk)
    return out


def _default_dialect(ctx: RuleContext, root: Stage) -> str | None:
    """Without SHELL: /bin/sh (bash on RHEL-family images), None for Windows images."""
    if ctx.dockerfile.escape == "`" or _WINDOWS_IMAGE.search(root.base_resolved or root.base):
        return None
    if _image_name(root.base_resolved or root.base) in _BASH_SH_IMAGES:
        return "bash"
    return "sh"


def _command_offsets(instr: Instruction) -> tuple[str, Sequence[int]]:
    """The RUN command text (args[0]) and the file offset of each of its characters."""
    command = instr.args[0] if instr.args else ""
    rest, offsets = instr.rest, instr.rest_offsets
    begin = 0
    if instr.flags:
        last_flag_end = max(f.span.end for f in instr.flags)
        while begin < len(rest) and begin < len(offsets) and offsets[begin] < last_flag_end:
            begin += 1
    at = rest.find(command, begin) if command else -1
    if at < 0 or at + len(command) > len(offsets):
        fallback = instr.span.start
        return command, [fallback] * len(command)
    return command, offsets[at : at + len(command)]  # a slice, not a list: most are never read


def _heredoc_offsets(text: str, heredoc: Heredoc) -> tuple[str, list[int]]:
    """Heredoc content (CR before LF dropped, as BuildKit's line reader does) and per-char
    file offsets. Lines are matched one to one from the body start; ``<<-`` strips leading
    tabs, so each line is aligned on its end."""
    content = heredoc.content.replace("\r\n", "\n")
    start = heredoc.span.start
    file_lines = text[start : heredoc.span.end].split("\n")
    out: list[int] = []
    pos = start
    for i, line in enumerate(content.split("\n")):
        file_line = file_lines[i].rstrip("\r") if i < len(file_lines) else ""
        shift = max(len(file_line) - len(line), 0)
        out.extend(pos + shift + j for j in range(len(line)))
        if i < len(file_lines):
            pos += len(file_lines[i]) + 1
        out.append(max(pos - 1, start))  # the newline
    return content, out[: len(content)]


def build_script(ctx: RuleContext, instr: Instruction) -> ShellScript | None:
    """The ShellCheck script for a shell-form RUN, or None when it is not checked (exec form,
    a shell ShellCheck does not know, a heredoc run by another interpreter)."""
    if instr.keyword != "RUN" or instr.json_form:
        return None
    dialect = stage_dialect(ctx, instr)
    text = ctx.dockerfile.text
    command, cmd_offsets = _command_offsets(instr)
    offsets: Sequence[int]
    if instr.heredocs and len(instr.heredocs) == 1 and _SINGLE_HEREDOC.fullmatch(command):
        # `RUN <<EOF` : the heredoc is the script; a shebang picks its interpreter.
        body, offsets = _heredoc_offsets(text, instr.heredocs[0])
        if body.startswith("#!"):
            first = body.split("\n", 1)[0][2:].strip().split()
            program = posixpath.basename(first[0]) if first else ""
            if program == "env" and len(first) > 1:
                program = first[1]
            dialect = _DIALECTS.get(program)
            newline = body.find("\n")
            body, offsets = ("", []) if newline < 0 else (body[newline + 1 :], offsets[newline + 1 :])
            offsets = offsets if body else []
    else:
        body, offsets = command, cmd_offsets
        if instr.heredocs:
            grown = list(cmd_offsets)
            for heredoc in instr.heredocs:
                content, content_offsets = _heredoc_offsets(text, heredoc)
                end = content_offsets[-1] if content_offsets else heredoc.span.start
                body += "\n" + content
                grown += [grown[-1] if grown else instr.span.start] + content_offsets
                if not content.endswith("\n") and content:
                    body += "\n"
                    grown.append(end)
                body += heredoc.name
                grown += [end] * len(heredoc.name)
            offsets = grown
    if dialect is None or not body.strip():
        return None
    env = ctx.model.vars_at(instr)
    declared = sorted(name for name in env if _IDENT.fullmatch(name))
    return ShellScript(ctx, instr, dialect, body, offsets, declared)
