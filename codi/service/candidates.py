"""Build, verify, contract-check and number the candidate Dockerfiles of one analysed project."""

from __future__ import annotations

import difflib
from collections import Counter
from dataclasses import dataclass, field

from codi.artifacts.models import CandidateRecord, FindingRecord, RejectedCandidate
from codi.fix.apply import fix_text
from codi.ops.tracing import span
from codi.optimise.catalog import Catalog, CatalogError, CatalogRule
from codi.optimise.contract import (
    ContractCheck,
    DeclaredChange,
    RuntimeContract,
    check_contract,
    compute_contract,
    worst_risk,
)
from codi.optimise.estimate import Estimate, estimate
from codi.optimise.render import matches, render
from codi.optimise.template_context import build_context
from codi.optimise.tune import base_repo, nonroot, tune, writable_dirs
from codi.parser import ParseError, parse
from codi.parser.mounts import cache_targets
from codi.parser.semantic import Model, Stage, build_model
from codi.rules.base import Finding, Severity
from codi.service.analyze import Analysis

# What CODI's own fixes may change in the runtime contract, and how risky that is.
FIX_CHANGES = [
    DeclaredChange(field="cmd", key="exec-form", risk="low", reason="exec form: the app gets signals directly (same words)"),
    DeclaredChange(field="entrypoint", key="exec-form", risk="low",
                   reason="exec form: the app gets signals directly (same words)"),
    DeclaredChange(field="label_keys", risk="low", reason="MAINTAINER becomes a LABEL"),
    DeclaredChange(field="shell", risk="low", reason="SHELL with pipefail: a RUN pipeline fails when any stage of it "
                                                     "fails (DL4006); the command's own form is checked apart"),
]


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


@dataclass(slots=True)
class _Draft:
    rule_id: str
    kind: str
    title: str
    description: str
    risk: str
    base: str | None
    notes: list[str]
    text: str
    declared: list[DeclaredChange]


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
    if kind not in {"fixed", "tuned"} and errors:
        return "lint errors: " + ", ".join(sorted({f"{f.code} (line {f.line})" for f in errors})), findings
    # An edit of the original may add one RUN step (DL3059, consecutive RUNs, is style, not a new problem).
    counted = [f for f in findings if not (kind in {"tuned", "variant"} and f.code == "DL3059")]
    if len(counted) > len(analysis.findings):
        return f"more findings than the original ({len(counted)} vs {len(analysis.findings)})", findings
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


def _candidate_stage(model: Model, analysis: Analysis, kind: str) -> Stage | None:
    """The stage of a candidate that is built: the original's target (same name or index) for edits of
    the original, the last stage for templates."""
    target = analysis.target
    if kind in {"fixed", "tuned"} and target is not None:
        if target.name:
            return model.stage_by_ref(target.name) or model.final_stage
        return model.stages[target.index] if target.index < len(model.stages) else model.final_stage
    return model.final_stage


def contract_of(analysis: Analysis, text: str, kind: str) -> RuntimeContract:
    df = parse(text, "candidate")
    model = build_model(df, analysis.build_args or {})
    return compute_contract(df, model, _candidate_stage(model, analysis, kind), analysis.project)


def _context_sources(text: str) -> set[str]:
    """The literal build-context paths a Dockerfile's COPY/ADD instructions name (no wildcards)."""
    from codi.optimise.contract.files import norm_source

    out: set[str] = set()
    for instr in parse(text, "candidate").instructions:
        if instr.keyword in {"COPY", "ADD"} and instr.flag("from") is None and not instr.heredocs:
            out |= {norm_source(a) for a in instr.args[:-1] if "://" not in a and "$" not in a
                    and not any(ch in a for ch in "*?[")}
    return out - {""}


def _ignored_sources(analysis: Analysis, text: str) -> list[str]:
    """Paths a candidate copies that .dockerignore excludes and the original does not copy."""
    from codi.rules.buildkit.dockerignore import load_dockerignore

    ignore = load_dockerignore(analysis.project, analysis.dockerfile_path.name)
    if ignore is None:
        return []
    new = _context_sources(text) - _context_sources(analysis.text)
    return sorted(p for p in new if ignore.excluded(p))


def _fixed(analysis: Analysis, out: CandidateSet) -> tuple[str, _Draft | None]:
    """(the fixed text, or the original when no fix applies; the "fixed" draft)"""
    outcome = fix_text(analysis.text, str(analysis.dockerfile_path),
                       lambda t: analysis.linter.lint_text(t, with_batch=False), unsafe=True)
    if not outcome.changed:
        out.rejected.append(RejectedCandidate(rule_id="fixed", reason="no fix applies to the original"))
        return analysis.text, None
    unsafe = any(a.applicability == "unsafe" for a in outcome.applied)
    notes = [f"{len(outcome.applied)} fix(es) applied: " + ", ".join(sorted({a.code for a in outcome.applied}))]
    notes += [f"fix {d.code} at line {d.line} dropped: {d.reason}" for d in outcome.dropped if d.code]
    return outcome.fixed, _Draft("fixed", "fixed", "The original with CODI's fixes applied",
                             "The original Dockerfile with every safe and unsafe fix that verifies applied, as a "
                             "minimal diff.", "medium" if unsafe else "low", None, notes, outcome.fixed, FIX_CHANGES)


def _edit_model(analysis: Analysis, start: str) -> tuple[Model, Stage] | None:
    """The model of an edit of the original (its text ``start``) and the stage that is built."""
    if analysis.target is None:
        return None
    model = build_model(parse(start, "candidate"), analysis.build_args or {})
    target = _candidate_stage(model, analysis, "tuned")
    return (model, target) if target is not None else None


def _tuned(analysis: Analysis, start: str) -> _Draft | None:
    from codi.imagedb import lookup

    edit = _edit_model(analysis, start)
    if edit is None:
        return None
    model, target = edit
    bases: dict[str, tuple[str, dict[str, str | None]]] = {}
    for stage in model.stages:
        ref = stage.base_resolved or stage.base
        info = lookup(ref) if stage.base_stage is None and ref else None
        if info is not None:
            bases[base_repo(ref)] = (info.user, dict(info.env))
    tuning = tune(start, model, target, bases)
    if not tuning.changed:
        return None
    return _Draft("tuned", "tuned", "The original, tuned in place",
                  "The original's structure and runtime settings kept as they are, with dependency downloads in "
                  "BuildKit cache mounts and, where the same version exists, the slim runtime image.",
                  tuning.risk, None, tuning.notes, tuning.text, FIX_CHANGES)


# Programs that start as root on purpose (they drop privileges, bind low ports or manage services).
_ROOT_PROGRAMS = frozenset({"supervisord", "nginx", "httpd", "httpd-foreground", "apache2-foreground", "apache2ctl",
                            "php-fpm", "cron", "crond", "sshd", "s6-svscan", "/init", "systemd", "gosu", "su-exec"})
_ROOT_WORDS = ("gosu", "su-exec", "setpriv", "runuser", "chown", "useradd", "usermod", "supervisord", "nginx",
               "apache2", "php-fpm", "cron", "setcap", "iptables", "mount ")


def _needs_root(analysis: Analysis, c: RuntimeContract) -> bool:
    """The image starts as root on purpose: a low port, a service manager or web server, or an
    entrypoint script that drops privileges or changes ownership itself."""
    import posixpath

    if c.runtime in {"nginx", "httpd"}:
        return True
    for port in c.ports:
        number = port.split("/", 1)[0]
        if number.isdigit() and int(number) < 1024:
            return True
    for exe in c.executables:
        if exe.name in _ROOT_PROGRAMS or posixpath.basename(exe.name) in _ROOT_PROGRAMS:
            return True
        if exe.provider == "context" and exe.detail.startswith("copied from the build context: "):
            source = exe.detail.removeprefix("copied from the build context: ").split(" (line", 1)[0]
            try:
                script = (analysis.project / source).read_text(encoding="utf-8", errors="replace")
            except OSError:
                return True  # a script CODI cannot read may need root: say nothing rather than guess
            if any(word in script for word in _ROOT_WORDS):
                return True
    return False


def _nonroot(analysis: Analysis, start: str) -> _Draft | None:
    """The (tuned) original as a non-root user, when it runs as root on a base CODI knows."""
    c = analysis.contract
    if c is None or c.user or c.user_origin == "unknown" or not c.base_known or analysis.target is None:
        return None
    if _needs_root(analysis, c):
        return None
    edit = _edit_model(analysis, start)
    if edit is None:
        return None
    model, target = edit
    tuning = nonroot(start, model, target, c.os_family, base_repo(c.base or ""),
                     writable_dirs(model, target, c.workdir, c.volumes))
    if tuning is None:
        return None
    declared = FIX_CHANGES + [DeclaredChange(field="user", risk="medium",
                                             reason="runs as a non-root user: a compromised app cannot act as root")]
    return _Draft("nonroot", "variant", "The original as a non-root user",
                  "The original (with its fixes and tuning) switched to an unprivileged user at the end of the "
                  "runtime stage; everything else is kept.", "medium", None, tuning.notes, tuning.text, declared)


def _dev_tool_command(analysis: Analysis) -> str | None:
    """The devDependency a node command starts through a package.json script (`npm run dev` ->
    `nodemon`), or None."""
    import json

    from codi.parser.shell import parse_script

    c = analysis.contract
    argv = (c.cmd or []) if c is not None else []
    if len(argv) >= 3 and argv[0].endswith("sh") and argv[1] == "-c":
        commands = parse_script(argv[2]).commands
        argv = commands[0].unwrapped().argv if commands else []
    if not argv or argv[0].rsplit("/", 1)[-1] not in {"npm", "yarn", "pnpm"}:
        return None
    words = [w for w in argv[1:] if not w.startswith("-")]
    script = words[1] if words[:1] == ["run"] and len(words) > 1 else (words[0] if words else "")
    try:
        package = json.loads((analysis.project / "package.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    scripts = package.get("scripts") if isinstance(package, dict) else None
    dev = package.get("devDependencies") if isinstance(package, dict) else None
    if not isinstance(scripts, dict) or not isinstance(dev, dict) or not isinstance(scripts.get(script), str):
        return None
    for command in parse_script(scripts[script]).commands:
        name = command.unwrapped().name
        if name in dev:
            return name
    return None


def _catalog(analysis: Analysis, catalog: Catalog, out: CandidateSet) -> list[_Draft]:
    primary = analysis.detection.primary
    if primary is None:
        out.notes.append("unknown stack: only edits of the original are offered (use --stack to name one)")
        return []
    assert analysis.contract is not None
    from codi.rules.buildkit.dockerignore import load_dockerignore

    ignore = load_dockerignore(analysis.project, analysis.dockerfile_path.name)
    if ignore is not None:  # a manifest the context leaves out cannot be copied by a build stage
        kept = [m for m in primary.manifests if not ignore.excluded(m)]
        if kept != primary.manifests:
            out.notes.append("left out of the candidates' dependency steps, as .dockerignore excludes them: "
                             + ", ".join(m for m in primary.manifests if m not in kept))
            primary = primary.model_copy(update={"manifests": kept})
    ctx = build_context(primary, analysis.facts, analysis.contract, analysis.model, analysis.target,
                        analysis.project)
    out.notes += ctx.notes
    drafts: list[_Draft] = []
    rules = _pick(catalog.rules, analysis)
    dev_tool = _dev_tool_command(analysis) if primary.stack == "node" else None
    if dev_tool is not None:
        for rule in rules:
            out.rejected.append(RejectedCandidate(
                rule_id=rule.id, reason=f"the command runs `{dev_tool}`, a devDependency of package.json, and "
                                        "this candidate installs production dependencies only"))
        rules = []
    for rule in rules:
        try:
            with span("render", rule=rule.id):
                text, base = render(rule, catalog, ctx)
        except Exception as exc:  # a template bug must not stop the run; say which rule
            out.rejected.append(RejectedCandidate(rule_id=rule.id, reason=f"template failed: {exc}"))
            continue
        # Lines carried over from the original (ENV, LABEL, ...) get the same fixes as the original.
        tidy = fix_text(text, f"candidate {rule.id}", lambda t: analysis.linter.lint_text(t, with_batch=False),
                        unsafe=True)
        declared = list(rule.changes) + FIX_CHANGES
        risk = rule.risk
        if ctx.command is not None:  # the command came from a manifest: nobody ran it this way before
            declared.append(DeclaredChange(field="cmd", risk="high", reason=f"start command {ctx.command.note}"))
            risk = "high"
        drafts.append(_Draft(rule.id, rule.kind, rule.title, rule.description.strip(), risk, base, list(ctx.notes),
                             tidy.fixed, declared))
    if not rules:
        out.notes.append(f"no catalog rule fits this {primary.stack} project "
                         f"(package manager {primary.package_manager or 'unknown'})")
    return drafts


def build_candidates(analysis: Analysis, catalog: Catalog, limit: int = 3) -> CandidateSet:
    out = CandidateSet()
    start, fixed = _fixed(analysis, out)
    drafts = [fixed] if fixed is not None else []
    tuned = _tuned(analysis, start)
    if tuned is not None:
        drafts.append(tuned)
    rootless = _nonroot(analysis, tuned.text if tuned is not None else start)
    if rootless is not None:
        drafts.append(rootless)
    catalog_drafts = _catalog(analysis, catalog, out)
    # Offered in this order when --candidate-limit cuts: the whole rewrites save the most, the edits of
    # the original change the least, the variants last.
    order = {"fixed": 0, "multi-stage": 1, "tuned": 2, "variant": 3}
    drafts = sorted(drafts + catalog_drafts, key=lambda d: order.get(d.kind, 9))
    seen: set[str] = {analysis.text}
    original = analysis.contract or RuntimeContract()
    for draft in drafts:
        if draft.text in seen:
            out.rejected.append(RejectedCandidate(rule_id=draft.rule_id,
                                                  reason="same as the original or another candidate"))
            continue
        reason, findings = _verify(analysis, draft.text, draft.kind)
        if reason is not None:
            out.rejected.append(RejectedCandidate(rule_id=draft.rule_id, reason=reason))
            continue
        ignored = _ignored_sources(analysis, draft.text)
        if ignored:
            out.rejected.append(RejectedCandidate(
                rule_id=draft.rule_id, reason="copies " + ", ".join(f"`{p}`" for p in ignored)
                + ", which .dockerignore leaves out of the build context (the build would fail)"))
            continue
        with span("contract", rule=draft.rule_id) as traced:
            contract = contract_of(analysis, draft.text, draft.kind)
            check: ContractCheck = check_contract(original, contract, draft.declared)
            traced.set(ok=check.ok)
        if not check.ok:
            out.rejected.append(RejectedCandidate(
                rule_id=draft.rule_id, violations=check.violations,
                reason="changes the runtime contract: " + "; ".join(v.message for v in check.violations)))
            continue
        if len(out.built) >= limit:
            out.rejected.append(RejectedCandidate(rule_id=draft.rule_id, reason=f"over --candidate-limit {limit}"))
            continue
        seen.add(draft.text)
        cid = f"{len(out.built) + 1:03d}-{draft.rule_id}"
        df = parse(draft.text, "candidate")
        est = estimate(df, build_model(df), analysis.sizes)
        record = CandidateRecord(
            id=cid, rule_id=draft.rule_id, kind=draft.kind, title=draft.title,  # type: ignore[arg-type]
            description=draft.description, risk=worst_risk(check, draft.risk),  # type: ignore[arg-type]
            path=f"candidates/{cid}.Dockerfile", runtime_base=draft.base or contract.base, verified=True,
            resolves=resolved(analysis.findings, findings), findings=[finding_record(f) for f in findings],
            notes=draft.notes, diff=unified_diff(analysis.text, draft.text, f"candidates/{cid}.Dockerfile"),
            contract=contract, contract_changes=check.intended)
        out.built.append(BuiltCandidate(record, draft.text, est))
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
