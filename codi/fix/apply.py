"""The fix loop: apply fixes in rounds, verify every result, drop what fails, never half-apply.

``lint`` is injected (text -> findings) so that the loop knows nothing about configuration or
selection; the service layer passes the same lint the user asked for (ShellCheck excluded from
re-lints, since fixes never touch what it checks and one process per round would be slow).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

from codi.fix.edits import apply_edits
from codi.fix.verify import Invariants, broken_invariant, invariants, new_findings
from codi.parser import ParseError, parse
from codi.parser.model import Dockerfile
from codi.parser.semantic import Model, build_model
from codi.rules.base import Applicability, Edit, Finding, Fix

Lint = Callable[[str], list[Finding]]
MAX_ROUNDS = 8


class Trees(Protocol):
    """Where the loop gets a text's tree and model: the service passes its run's memo (codi.service.texts),
    so a result the loop checked is not parsed again by the steps after it."""

    def checked(self, text: str, lint_mode: bool = False) -> Dockerfile: ...

    def model(self, text: str, build_args: Mapping[str, str] | None = None) -> Model: ...


@dataclass(slots=True)
class _Fresh:
    """No memo (``codi fix``, the tests): each text checked is parsed, and modelled from that parse."""

    path: str
    last: Dockerfile | None = None

    def checked(self, text: str, lint_mode: bool = False) -> Dockerfile:
        self.last = parse(text, self.path, lint_mode=lint_mode)
        return self.last

    def model(self, text: str, build_args: Mapping[str, str] | None = None) -> Model:
        df = self.last if self.last is not None and self.last.text == text else self.checked(text, lint_mode=True)
        return build_model(df, dict(build_args or {}))


class LintFailed(Exception):
    """The injected lint failed inside (a rule crashed): its findings cannot vouch for a text."""


@dataclass(slots=True)
class FixRecord:
    code: str
    line: int
    description: str
    applicability: str
    reason: str = ""  # why it was dropped (empty when applied)


@dataclass(slots=True)
class FixOutcome:
    path: str
    original: str
    fixed: str
    applied: list[FixRecord] = field(default_factory=list)
    dropped: list[FixRecord] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return self.fixed != self.original


def _wanted(fix: Fix | None, unsafe: bool) -> bool:
    if fix is None or not fix.edits:
        return False
    if fix.applicability is Applicability.SAFE:
        return True
    return unsafe and fix.applicability is Applicability.UNSAFE


def _key(finding: Finding, text: str) -> tuple[str, str]:
    """Identify a fix across rounds by its code and the text it replaces (lines move)."""
    assert finding.fix is not None
    spans = "|".join(text[e.start : e.end] + "->" + e.replacement for e in finding.fix.edits)
    return finding.code, spans


def _check(before: Invariants, text: str, trees: Trees, original_findings: list[Finding], lint: Lint,
           codes: set[str], applicability: Applicability, cache: dict[str, list[Finding]]) -> str | None:
    """Why ``text`` is not an acceptable result (None when it is); its findings go into ``cache``."""
    try:
        after = invariants(trees.checked(text, lint_mode=True), trees.model(text))
    except ParseError as exc:
        return f"the result does not parse ({exc.message}, line {exc.line})"
    broken = broken_invariant(before, after, codes, applicability)
    if broken:
        return broken
    cache[text] = lint(text)
    added = new_findings(original_findings, cache[text])
    if added:
        return "it would add finding(s) " + ", ".join(added)
    return None


def _edits(findings: list[Finding]) -> list[Edit]:
    return [e for f in findings if f.fix is not None for e in f.fix.edits]


def _round(current: str, todo: list[Finding], before: Invariants, trees: Trees, original_findings: list[Finding],
           lint: Lint, refused: set[tuple[str, str]], outcome: FixOutcome,
           cache: dict[str, list[Finding]]) -> list[Finding]:
    """The fixes of one round that verify, applied together; failing ones are recorded as dropped."""
    batch: list[Finding] = []
    for finding in sorted(todo, key=lambda f: min(e.start for e in f.fix.edits) if f.fix else 0):
        _, skipped = apply_edits(current, _edits(batch + [finding]))
        if not skipped:  # an overlapping fix waits for the next round, on the new text
            batch.append(finding)
    unsafe = any(f.fix is not None and f.fix.applicability is Applicability.UNSAFE for f in batch)
    trial, _ = apply_edits(current, _edits(batch))
    # Fast path: the whole batch verifies at once (the common case: one lint per round).
    if _check(before, trial, trees, original_findings, lint, {f.code for f in batch} | {f.name for f in batch},
              Applicability.UNSAFE if unsafe else Applicability.SAFE, cache) is None:
        return batch
    accepted: list[Finding] = []
    for finding in batch:
        assert finding.fix is not None
        trial, _ = apply_edits(current, _edits(accepted + [finding]))
        reason = _check(before, trial, trees, original_findings, lint, {finding.code, finding.name},
                        finding.fix.applicability, cache)
        if reason is None:
            accepted.append(finding)
        else:
            refused.add(_key(finding, current))
            outcome.dropped.append(FixRecord(finding.code, finding.line, finding.fix.description,
                                             finding.fix.applicability.value, reason))
    return accepted


def fix_text(text: str, path: str, lint: Lint, unsafe: bool = False, trees: Trees | None = None) -> FixOutcome:
    """Apply every wanted fix that verifies; return the outcome (the input is never modified). ``trees``: where
    the input's and each result's tree and model come from (the service's memo: a text is parsed once)."""
    outcome = FixOutcome(path=path, original=text, fixed=text)
    trees = trees if trees is not None else _Fresh(path)
    try:
        before = invariants(trees.checked(text, lint_mode=True), trees.model(text))
    except ParseError:
        return outcome
    try:
        return _fix_rounds(text, trees, lint, unsafe, before, outcome)
    except LintFailed as exc:  # fail closed: what cannot be verified is not written
        outcome.fixed = text
        outcome.applied.clear()
        outcome.dropped = [FixRecord("", 0, "fixes not verified", "safe", f"the lint failed: {exc}")]
        return outcome


def _fix_rounds(text: str, trees: Trees, lint: Lint, unsafe: bool, before: Invariants, outcome: FixOutcome) -> FixOutcome:
    original_findings = lint(text)
    current = text
    refused: set[tuple[str, str]] = set()
    findings = original_findings
    for _ in range(MAX_ROUNDS):
        todo = [f for f in findings if _wanted(f.fix, unsafe) and _key(f, current) not in refused]
        if not todo:
            break
        cache: dict[str, list[Finding]] = {}
        accepted = _round(current, todo, before, trees, original_findings, lint, refused, outcome, cache)
        if not accepted:
            break
        current, _ = apply_edits(current, _edits(accepted))
        outcome.applied += [FixRecord(f.code, f.line, f.fix.description, f.fix.applicability.value)
                            for f in accepted if f.fix is not None]
        findings = cache[current] if current in cache else lint(current)
    else:
        # Still fixing after MAX_ROUNDS: a fix does not converge. Keep nothing rather than guess.
        outcome.dropped.append(FixRecord("", 0, "fixes did not converge", "safe", "not idempotent"))
        outcome.applied.clear()
        return outcome
    outcome.fixed = current
    # A dropped fix whose finding another fix resolved is not worth reporting.
    left = {f.code for f in findings}
    outcome.dropped = [d for d in outcome.dropped if d.code in left]
    return outcome
