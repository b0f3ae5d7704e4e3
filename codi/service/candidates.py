"""Build, verify and number the candidate Dockerfiles of one analysed project."""

from __future__ import annotations

import difflib
from collections import Counter
from dataclasses import dataclass, field

from codi.artifacts.models import CandidateRecord, FindingRecord, RejectedCandidate
from codi.fix.apply import fix_text
from codi.optimise.catalog import Catalog, CatalogError, CatalogRule
from codi.optimise.estimate import Estimate, estimate
from codi.optimise.render import matches, render
from codi.optimise.template_context import build_context
from codi.parser import ParseError, parse
from codi.parser.semantic import build_model
from codi.rules.base import Finding, Severity
from codi.service.analyze import Analysis


@dataclass(slots=True)
class BuiltCandidate:
    record: CandidateRecord
    text: str
    estimate: Estimate


@dataclass(slots=True)
class CandidateSet:
    built: list[BuiltCandidate] = field(default_factory=list)
    rejected: list[RejectedCandidate] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def finding_record(f: Finding) -> FindingRecord:
    return FindingRecord(code=f.code, name=f.name, level=f.severity.value, message=f.message, line=f.line,
                         column=f.column, end_line=f.end_line, end_column=f.end_column, fixable=f.fixable)


def resolved(original: list[Finding], after: list[Finding]) -> list[str]:
    """Original findings (as CODE@line) whose code occurs fewer times afterwards."""
    left = Counter(f.code for f in after)
    out: list[str] = []
    for f in original:
        if left[f.code] > 0:
            left[f.code] -= 1
        else:
            out.append(f"{f.code}@{f.line}")
    return out


def unified_diff(before: str, after: str, name: str) -> str:
    lines = difflib.unified_diff(before.splitlines(keepends=True), after.splitlines(keepends=True),
                                 fromfile="a/Dockerfile", tofile=f"b/{name}")
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines).rstrip("\n")


def _verify(analysis: Analysis, text: str, kind: str) -> tuple[str | None, list[Finding]]:
    """(why it is rejected or None, its findings)."""
    try:
        df = parse(text, "candidate")
        build_model(df)
    except ParseError as exc:
        return f"does not parse: line {exc.line}: {exc.message}", []
    findings = analysis.linter.lint_text(text)
    errors = [f for f in findings if f.severity is Severity.ERROR]
    if kind != "fixed" and errors:
        return "lint errors: " + ", ".join(sorted({f"{f.code} (line {f.line})" for f in errors})), findings
    if len(findings) >= len(analysis.findings) and analysis.findings:
        return f"not fewer findings than the original ({len(findings)} vs {len(analysis.findings)})", findings
    return None, findings


def _pick(rules: list[CatalogRule], analysis: Analysis) -> list[CatalogRule]:
    primary = analysis.detection.primary
    if primary is None:
        return []
    chosen: list[CatalogRule] = []
    for kind in ("multi-stage", "variant"):
        base = analysis.facts.base_resolved or analysis.facts.base
        fitting = [r for r in rules if r.kind == kind and matches(r, primary, analysis.project, base)]
        fitting.sort(key=lambda r: (-r.specificity, r.id))
        chosen += fitting[:1] if kind == "multi-stage" else fitting
    return chosen


def build_candidates(analysis: Analysis, catalog: Catalog, limit: int = 3) -> CandidateSet:
    out = CandidateSet()
    drafts: list[tuple[str, str, str, str, str, str | None, list[str]]] = []  # rule_id, kind, title, desc, risk, base, notes
    texts: list[str] = []
    outcome = fix_text(analysis.text, str(analysis.dockerfile_path),
                       lambda t: analysis.linter.lint_text(t, with_batch=False), unsafe=True)
    if outcome.changed:
        unsafe = any(a.applicability == "unsafe" for a in outcome.applied)
        notes = [f"{len(outcome.applied)} fix(es) applied: " + ", ".join(sorted({a.code for a in outcome.applied}))]
        notes += [f"fix {d.code} at line {d.line} dropped: {d.reason}" for d in outcome.dropped if d.code]
        drafts.append(("fixed", "fixed", "The original with CODI's fixes applied",
                       "The original Dockerfile with every safe and unsafe fix that verifies applied, as a minimal diff.",
                       "medium" if unsafe else "low", None, notes))
        texts.append(outcome.fixed)
    else:
        out.rejected.append(RejectedCandidate(rule_id="fixed", reason="no fix applies to the original"))
    primary = analysis.detection.primary
    if primary is None:
        out.notes.append("unknown stack: only the fixed candidate is offered (use --stack to name one)")
    else:
        ctx = build_context(primary, analysis.facts)
        out.notes += ctx.notes
        for rule in _pick(catalog.rules, analysis):
            try:
                text, base = render(rule, catalog, ctx)
            except Exception as exc:  # a template bug must not stop the run; say which rule
                out.rejected.append(RejectedCandidate(rule_id=rule.id, reason=f"template failed: {exc}"))
                continue
            # Lines carried over from the original (ENV, LABEL, ...) get the same fixes as the original.
            tidy = fix_text(text, f"candidate {rule.id}", lambda t: analysis.linter.lint_text(t, with_batch=False),
                            unsafe=True)
            drafts.append((rule.id, rule.kind, rule.title, rule.description.strip(), rule.risk, base, list(ctx.notes)))
            texts.append(tidy.fixed)
        if not _pick(catalog.rules, analysis):
            out.notes.append(f"no catalog rule fits this {primary.stack} project "
                             f"(package manager {primary.package_manager or 'unknown'})")
    seen: set[str] = {analysis.text}
    for (rule_id, kind, title, desc, risk, base, notes), text in zip(drafts, texts, strict=True):
        if text in seen:
            out.rejected.append(RejectedCandidate(rule_id=rule_id, reason="same as the original or another candidate"))
            continue
        reason, findings = _verify(analysis, text, kind)
        if reason is not None:
            out.rejected.append(RejectedCandidate(rule_id=rule_id, reason=reason))
            continue
        if len(out.built) >= limit:
            out.rejected.append(RejectedCandidate(rule_id=rule_id, reason=f"over --candidate-limit {limit}"))
            continue
        seen.add(text)
        number = len(out.built) + 1
        cid = f"{number:03d}-{rule_id}"
        df = parse(text, "candidate")
        est = estimate(df, build_model(df), analysis.sizes)
        record = CandidateRecord(
            id=cid, rule_id=rule_id, kind=kind, title=title, description=desc, risk=risk,  # type: ignore[arg-type]
            path=f"candidates/{cid}.Dockerfile", runtime_base=base, verified=True,
            resolves=resolved(analysis.findings, findings), findings=[finding_record(f) for f in findings],
            notes=notes, diff=unified_diff(analysis.text, text, f"candidates/{cid}.Dockerfile"))
        out.built.append(BuiltCandidate(record, text, est))
    return out


__all__ = ["BuiltCandidate", "CandidateSet", "CatalogError", "build_candidates", "finding_record"]
