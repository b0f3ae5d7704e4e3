"""The ``# check=`` directive applied to the BuildKit checks' findings, as BuildKit applies it.

- ``skip=Rule1,Rule2`` / ``skip=all`` at the top of the file drops those checks everywhere;
  the same in the comments just before an instruction drops them for that instruction only.
  Names are compared exactly (BuildKit is case-sensitive).
- ``error=true`` (top of the file only) makes every finding of a check that is not skipped an
  error, the way it makes ``docker build`` fail ("lint violation found for rules: ...").
- The experimental ``InvalidDefinitionDescription`` is never skipped by ``skip`` (BuildKit
  keeps experimental rules apart). It is off unless selected, or turned on by the file:
  ``experimental=all`` or ``experimental=InvalidDefinitionDescription`` at the top of the file,
  or in the comments just before one instruction for that instruction (``experimental_findings``).

The checks BuildKit runs once per file (not per instruction) ignore instruction comments.
Findings of CODI's other rules (DL, CD, SC) are left alone.
"""

from __future__ import annotations

import bisect
from functools import lru_cache

from codi.parser.checks import CheckOptions, file_checks, instruction_checks, preceding_comments
from codi.parser.model import Dockerfile, Instruction
from codi.rules.base import Finding, Severity

EXPERIMENTAL = frozenset({"InvalidDefinitionDescription"})
# Checks BuildKit runs with the file's options only (parser warnings, stage and casing passes).
FILE_LEVEL = frozenset(
    {
        "NoEmptyContinuation",
        "ConsistentInstructionCasing",
        "DuplicateStageName",
        "ReservedStageName",
        "InvalidDefaultArgInFrom",
    }
)


@lru_cache(maxsize=1)
def buildkit_check_names() -> frozenset[str]:
    """Names of CODI's rules that are BuildKit's build checks (the ``codi.rules.buildkit`` family)."""
    from codi.rules.registry import all_rules

    return frozenset(r.name for r in all_rules() if r.__module__.startswith("codi.rules.buildkit."))


def _instruction_at(df: Dockerfile, line: int, starts: list[int] | None = None) -> Instruction | None:
    """The instruction on ``line``; ``starts`` (each instruction's first line), when a caller asks
    for many lines, is built once by it (building it per finding is quadratic in a big file)."""
    instrs = df.instructions
    if starts is None:
        starts = [i.start_line for i in instrs]
    at = bisect.bisect_right(starts, line) - 1
    if at < 0 or line > instrs[at].end_line:
        return None
    return instrs[at]


def apply_check_directive(df: Dockerfile, findings: list[Finding]) -> list[Finding]:
    """``findings`` without the skipped BuildKit checks, errors where ``error=true``."""
    names = buildkit_check_names()
    if not any(f.name in names for f in findings):
        return findings
    base = file_checks(df.text).options
    comments = preceding_comments(df)
    starts = [i.start_line for i in df.instructions]
    kept: list[Finding] = []
    for f in findings:
        if f.name not in names:
            kept.append(f)
            continue
        options = base
        if f.name not in FILE_LEVEL:
            instr = _instruction_at(df, f.line, starts)
            if instr is not None:
                options = instruction_checks(base, comments.get(id(instr), []))
        if _skipped(options, f.name):
            continue
        if base.error:
            f.severity = Severity.ERROR
        kept.append(f)
    return kept


def _skipped(options: CheckOptions, name: str) -> bool:
    return name not in EXPERIMENTAL and options.skips(name)


def experimental_findings(df: Dockerfile, name: str, findings: list[Finding]) -> list[Finding]:
    """The findings of the experimental check ``name`` (not selected by the user) that the file's
    ``check=experimental=`` turns on: at the top of the file, or before the finding's instruction."""
    if not findings:
        return findings
    base = file_checks(df.text).options
    comments = preceding_comments(df)
    starts = [i.start_line for i in df.instructions]
    kept = []
    for f in findings:
        instr = _instruction_at(df, f.line, starts)
        options = instruction_checks(base, comments.get(id(instr), [])) if instr is not None else base
        if options.experimental_all or name in options.experimental:
            kept.append(f)
    return kept


def may_turn_on_experimental(text: str) -> bool:
    """Cheap test before running an experimental check nobody selected: does the file mention it?"""
    return "experimental" in text
