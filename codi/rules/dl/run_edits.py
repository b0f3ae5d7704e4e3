"""Edits for the fixes of the ``run_*`` rules: script offsets mapped back into the Dockerfile."""

from __future__ import annotations

from codi.parser.model import Instruction
from codi.rules.base import Edit, RuleContext
from codi.rules.dl.run_support import Cmd, Run


def _script_base(instr: Instruction) -> int | None:
    """Index in ``instr.rest`` where the shell-form script ``instr.args[0]`` starts."""
    if instr.json_form or not instr.args:
        return None
    text = instr.args[0]
    start = 0
    if instr.flags:
        flags_end = max(f.span.end for f in instr.flags)
        while start < len(instr.rest_offsets) and instr.rest_offsets[start] < flags_end:
            start += 1
    pos = instr.rest.find(text, start)
    return pos if pos >= 0 else None


def file_offset(instr: Instruction, script_pos: int) -> int | None:
    """File offset of position ``script_pos`` of an inline RUN script (None if unknown)."""
    base = _script_base(instr)
    if base is None or not 0 <= script_pos < len(instr.args[0]):
        return None
    idx = base + script_pos
    return instr.rest_offsets[idx] if idx < len(instr.rest_offsets) else None


def insert_after_word(
    ctx: RuleContext, instr: Instruction, c: Cmd, word_index: int, text: str
) -> Edit | None:
    """An edit inserting ``text`` right after word ``word_index`` of an inline command."""
    if not c.inline or word_index >= len(c.cmd.word_spans):
        return None
    _, end = c.cmd.word_spans[word_index]
    last = file_offset(instr, end - 1)
    if last is None:
        return None
    return Edit(last + 1, last + 1, text)


def replace_word(ctx: RuleContext, instr: Instruction, c: Cmd, word_index: int, text: str) -> Edit | None:
    """An edit replacing word ``word_index`` of an inline command, if written on one line."""
    if not c.inline or word_index >= len(c.cmd.word_spans):
        return None
    start, end = c.cmd.word_spans[word_index]
    first, last = file_offset(instr, start), file_offset(instr, end - 1)
    if first is None or last is None or ctx.dockerfile.text[first : last + 1] != c.cmd.raw_words[word_index]:
        return None
    return Edit(first, last + 1, text)


def append_to_run(ctx: RuleContext, run: Run, text: str) -> Edit | None:
    """An edit appending `` && text`` after the RUN's last command, when the script plainly
    ends with that command (no heredoc, trailing comment, keyword or background ``&``)."""
    instr = run.instr
    if instr.heredocs or not run.cmds or not instr.args:
        return None
    last = run.cmds[-1]
    script = instr.args[0]
    if not last.inline or last.full.end != len(script.rstrip()) or last.full.separator not in ("", "\n"):
        return None
    pos = file_offset(instr, last.full.end - 1)
    if pos is None:
        return None
    return Edit(pos + 1, pos + 1, f" && {text}")
