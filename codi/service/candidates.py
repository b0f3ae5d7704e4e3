"""Build, verify, contract-check and number the candidate Dockerfiles of one analysed project."""

from __future__ import annotations

from collections import Counter

from codi.artifacts.models import CandidateRecord, FindingRecord, RejectedCandidate
from codi.fix.apply import LintFailed
from codi.optimise.catalog import Catalog, CatalogError
from codi.optimise.contract import (
    ContractCheck,
    RuntimeContract,
    check_contract,
    compute_contract,
    worst_risk,
)
from codi.optimise.estimate import estimate
from codi.optimise.facts import PRODUCTION_MODE_NOTE
from codi.optimise.review import ReviewCheck, Reviewed, review
from codi.parser import ParseError
from codi.parser.model import Dockerfile
from codi.parser.mounts import cache_targets
from codi.parser.semantic import Model
from codi.rules.base import Finding, Severity
from codi.rules.buildkit.dockerignore import DockerIgnore, load_dockerignore
from codi.service.analyze import Analysis
from codi.service.catalog_drafts import catalog_drafts
from codi.service.diff_text import unified_diff
from codi.service.drafts import BuiltCandidate, CandidateSet, candidate_stage
from codi.service.edit_drafts import fixed_draft, nonroot_draft, tuned_draft
from codi.telemetry.tracing import span


def finding_record(f: Finding) -> FindingRecord:
    return FindingRecord.model_validate(f.payload())  # the record has no `file`: one Dockerfile per run


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


def _verify(analysis: Analysis, text: str, kind: str) -> tuple[str | None, list[Finding]]:
    """(why it is rejected or None, its findings), for a candidate that parses (linted on the run's tree and
    model of it, not parsed again). New findings per code are the review check's (``codi.optimise.review``)."""
    try:
        findings = analysis.texts.lint(analysis.linter, text)
    except LintFailed as exc:  # fail closed: a candidate that cannot be checked is not offered
        return f"could not be linted: {exc}", []
    errors = [f for f in findings if f.severity is Severity.ERROR]
    if kind not in {"fixed", "tuned"} and errors:
        return "lint errors: " + ", ".join(sorted({f"{f.code} (line {f.line})" for f in errors})), findings
    return None, findings


def _reviewed_original(analysis: Analysis) -> Reviewed:
    return Reviewed(analysis.model, analysis.target, [(f.code, f.line) for f in analysis.findings],
                    analysis.contract or RuntimeContract(), analysis.project)


def contract_of(analysis: Analysis, text: str, kind: str) -> RuntimeContract:
    df = analysis.texts.checked(text)
    return _contract(analysis, df, analysis.texts.model(text, analysis.build_args), kind)


def _contract(analysis: Analysis, df: Dockerfile, model: Model, kind: str) -> RuntimeContract:
    return compute_contract(df, model, candidate_stage(model, analysis, kind), analysis.project)


def _context_sources(df: Dockerfile) -> set[str]:
    """The literal build-context paths a Dockerfile's COPY/ADD instructions name (no wildcards)."""
    from codi.optimise.contract.files import norm_source

    out: set[str] = set()
    for instr in df.instructions:
        if instr.keyword in {"COPY", "ADD"} and instr.flag("from") is None and not instr.heredocs:
            out |= {norm_source(a) for a in instr.args[:-1] if "://" not in a and "$" not in a
                    and not any(ch in a for ch in "*?[")}
    return out - {""}


def _ignored_sources(ignore: DockerIgnore | None, original: set[str], df: Dockerfile) -> list[str]:
    """Paths a candidate copies that .dockerignore excludes and the original (its ``original`` copies) does not."""
    if ignore is None:
        return []
    return sorted(p for p in _context_sources(df) - original if ignore.excluded(p))


def build_candidates(analysis: Analysis, catalog: Catalog, limit: int = 3) -> CandidateSet:
    out = CandidateSet()
    start, fixed = fixed_draft(analysis, out)
    drafts = [fixed] if fixed is not None else []
    tuned = tuned_draft(analysis, start, out)
    if tuned is not None:
        drafts.append(tuned)
    rootless = nonroot_draft(analysis, tuned.text if tuned is not None else start,
                             tuned.base_changes if tuned is not None else None,
                             tuned.notes if tuned is not None else None)
    if rootless is not None:
        drafts.append(rootless)
    from_catalog = catalog_drafts(analysis, catalog, out)
    # Offered in this order when --candidate-limit cuts: the whole rewrites save the most, the edits of
    # the original change the least, the variants last; among the variants a catalog one (an Alpine rewrite,
    # the only whole rewrite an Alpine original gets) before the non-root edit of the original.
    order = {"fixed": 0, "multi-stage": 1, "tuned": 2, "variant": 3}
    drafts = sorted(drafts + from_catalog, key=lambda d: (order.get(d.kind, 9), d.rule_id == "nonroot"))
    seen: set[str] = {analysis.text}
    texts = analysis.texts
    original = analysis.contract or RuntimeContract()
    ignore = load_dockerignore(analysis.project, analysis.dockerfile_path.name)
    original_copies = _context_sources(analysis.dockerfile)
    before = _reviewed_original(analysis)
    for draft in drafts:
        if draft.text in seen:
            out.rejected.append(RejectedCandidate(rule_id=draft.rule_id,
                                                  reason="same as the original or another candidate"))
            continue
        texts.keep(draft.text)
        try:  # parsed once (this run's memo): the checks below and the estimate all read this tree
            df = texts.checked(draft.text)
            model = texts.model(draft.text, analysis.build_args)
        except ParseError as exc:
            out.rejected.append(RejectedCandidate(rule_id=draft.rule_id,
                                                  reason=f"does not parse: line {exc.line}: {exc.message}"))
            continue
        reason, findings = _verify(analysis, draft.text, draft.kind)
        if reason is not None:
            out.rejected.append(RejectedCandidate(rule_id=draft.rule_id, reason=reason))
            continue
        ignored = _ignored_sources(ignore, original_copies, df)
        if ignored:
            out.rejected.append(RejectedCandidate(
                rule_id=draft.rule_id, reason="copies " + ", ".join(f"`{p}`" for p in ignored)
                + ", which .dockerignore leaves out of the build context (the build would fail)"))
            continue
        with span("contract", rule=draft.rule_id) as traced:
            contract = _contract(analysis, df, model, draft.kind)
            check: ContractCheck = check_contract(original, contract, draft.declared)
            traced.set(ok=check.ok)
        if not check.ok:
            out.rejected.append(RejectedCandidate(
                rule_id=draft.rule_id, violations=check.violations,
                reason="changes the runtime contract: " + "; ".join(v.message for v in check.violations)))
            continue
        with span("review", rule=draft.rule_id) as traced:
            checked: ReviewCheck = review(before, Reviewed(
                model, candidate_stage(model, analysis, draft.kind), [(f.code, f.line) for f in findings], contract,
                analysis.project, draft.base_changes))
            traced.set(ok=checked.ok)
        if not checked.ok:
            out.rejected.append(RejectedCandidate(rule_id=draft.rule_id, review_problems=checked.problems,
                                                  reason="fails the review check: " + checked.summary()))
            continue
        if len(out.built) >= limit:
            out.rejected.append(RejectedCandidate(rule_id=draft.rule_id, reason=f"over --candidate-limit {limit}"))
            continue
        seen.add(draft.text)
        cid = f"{len(out.built) + 1:03d}-{draft.rule_id}"
        est = estimate(df, texts.model(draft.text), analysis.sizes)  # as before: the estimate reads no build args
        record = CandidateRecord(
            id=cid, rule_id=draft.rule_id, kind=draft.kind, title=draft.title,  # type: ignore[arg-type]
            description=draft.description, risk=worst_risk(check, draft.risk),  # type: ignore[arg-type]
            path=f"candidates/{cid}.Dockerfile", runtime_base=draft.base or contract.base, verified=True,
            resolves=resolved(analysis.findings, findings), findings=[finding_record(f) for f in findings],
            notes=draft.notes, diff=unified_diff(analysis.text, draft.text, f"candidates/{cid}.Dockerfile"),
            contract=contract, contract_changes=check.intended, review=checked)
        out.built.append(BuiltCandidate(record, draft.text, est))
    if not any(b.record.rule_id in {d.rule_id for d in from_catalog} for b in out.built):
        # What the catalog candidates would have changed (a development setting they drop) describes no
        # offered candidate: the run's notes do not say it.
        out.notes = [n for n in out.notes if not n.endswith(PRODUCTION_MODE_NOTE)]
    if not out.built:
        out.notes.append(_nothing_offered(analysis, out))
    return out


def _nothing_offered(analysis: Analysis, out: CandidateSet) -> str:
    """Why the run offers no candidate, with the evidence from the original."""
    c = analysis.contract or RuntimeContract()
    evidence = [f"{len(analysis.model.stages)} stage(s)", f"runtime image {c.base or '?'} ({c.os_family or 'unknown OS'})",
                f"user {c.user or 'root'}"]
    mounts = sum(1 for i in analysis.dockerfile.instructions if cache_targets(i))
    if mounts:
        evidence.append(f"{mounts} RUN(s) with cache mounts")
    why = "; ".join(f"{r.rule_id}: {r.reason.split(': ', 1)[0]}" for r in out.rejected)
    return (f"nothing offered: no edit of the original and no catalog candidate keeps its runtime contract and "
            f"improves it ({why}). The original: {', '.join(evidence)}.")


__all__ = ["BuiltCandidate", "CandidateSet", "CatalogError", "build_candidates", "contract_of", "finding_record"]
