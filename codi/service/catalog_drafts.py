"""Candidates from the catalog: the rules that fit, rendered from the original's contract."""

from __future__ import annotations

from codi import safefs
from codi.artifacts.models import RejectedCandidate
from codi.fix.apply import fix_text
from codi.optimise.catalog import Catalog, CatalogRule
from codi.optimise.contract import DeclaredChange
from codi.optimise.polish import drop_repeated_env, keep_base_precision
from codi.optimise.render import matches, render
from codi.optimise.review import image_refs
from codi.optimise.template_context import TemplateContext, apk_note, build_context
from codi.parser.semantic import Model
from codi.service.analyze import Analysis
from codi.service.drafts import FIX_CHANGES, CandidateSet, Draft
from codi.telemetry.tracing import span


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
        package = json.loads(safefs.read_text(analysis.project / "package.json", analysis.project, errors="strict"))
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


def _node_dev_scope(analysis: Analysis, ctx: TemplateContext) -> DeclaredChange | None:
    """Where the original installs devDependencies: the declared change of a candidate that leaves them
    out, when CODI establishes that the command uses none of them (codi.optimise.node_dev); otherwise the
    templates keep them (ctx.scope as built) and a note says why."""
    from codi.optimise.install_scope import scope_values, source
    from codi.optimise.node_dev import dev_use

    pm = ctx.stack.package_manager or "npm"
    src = source(ctx.contract, pm, "package.json")
    if src is None or not src.shipped or "dev" not in src.scope:
        return None
    use = dev_use(analysis.project, ctx.contract)
    if not use.established:
        ctx.notes.append(f"the candidates install devDependencies, as the original does (line {src.line}): CODI "
                         f"cannot establish that the command uses none of them ({use.why})")
        return None
    ctx.scope = scope_values(ctx.contract, pm, ctx.pinned, analysis.project, drop_dev=True)
    if not use.command:  # package.json declares none: the same packages
        return DeclaredChange(field="dependency_scope", key=src.key, risk="low",
                              reason=f"devDependencies are not installed: {use.why}")
    return DeclaredChange(field="dependency_scope", key=src.key, risk="medium",
                          reason=f"devDependencies are not installed; the command `{use.command}` uses none of "
                                 f"them: {use.why}")


def catalog_drafts(analysis: Analysis, catalog: Catalog, out: CandidateSet) -> list[Draft]:
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
    scope_change = _node_dev_scope(analysis, ctx) if primary.stack == "node" else None
    out.notes += ctx.notes
    drafts: list[Draft] = []
    leaves_out_apk = apk_note(analysis.facts)
    rules = picked = _pick(catalog.rules, analysis)
    dev_tool = _dev_tool_command(analysis) if primary.stack == "node" else None
    texts = analysis.texts  # each text below is parsed once, however many steps read it
    if dev_tool is not None:
        for rule in rules:
            out.rejected.append(RejectedCandidate(
                rule_id=rule.id, reason=f"the command runs `{dev_tool}`, a devDependency of package.json, and "
                                        "this candidate installs production dependencies only"))
        rules = []
    if primary.stack == "node" and ctx.scripts.problem:  # codi.optimise.node_scripts: not guessed
        for rule in rules:
            out.rejected.append(RejectedCandidate(rule_id=rule.id, reason=ctx.scripts.problem))
        rules = []
    for rule in rules:
        try:
            with span("render", rule=rule.id):
                text, base = render(rule, catalog, ctx)
        except Exception as exc:  # a template bug must not stop the run; say which rule
            out.rejected.append(RejectedCandidate(rule_id=rule.id, reason=f"template failed: {exc}"))
            continue
        # Lines carried over from the original (ENV, LABEL, ...) get the same fixes as the original.
        tidy = fix_text(text, f"candidate {rule.id}", lambda t: texts.lint(analysis.linter, t, with_batch=False),
                        unsafe=True, trees=texts)
        # The original's base images as precisely as it names them; no ENV repeated (codi.optimise.polish).
        text = drop_repeated_env(tidy.fixed, texts.model(tidy.fixed))
        text, base_changes = keep_base_precision(text, [r.written for r, _ in image_refs(analysis.model)],
                                                 texts.model(text))
        texts.keep(text)
        base = _final_base(texts.model(text)) or base
        declared = list(rule.changes) + FIX_CHANGES + ([scope_change] if scope_change else [])
        risk = rule.risk
        if ctx.command is not None:  # the command came from a manifest: nobody ran it this way before
            declared.append(DeclaredChange(field="cmd", risk="high", reason=f"start command {ctx.command.note}"))
            risk = "high"
        notes = list(ctx.notes)
        if leaves_out_apk and not _alpine(base):  # the candidate's own note: it goes where the candidate goes
            notes.append(leaves_out_apk)
        drafts.append(Draft(rule.id, rule.kind, rule.title, rule.description.strip(), risk, base, notes,
                             text, declared, base_changes))
    if not picked:  # (rules refused above say why in their rejections)
        out.notes.append(f"no catalog rule fits this {primary.stack} project "
                         f"(package manager {primary.package_manager or 'unknown'})")
        web = web_server_note(analysis)
        if web:
            out.notes.append(web)
    return drafts


def web_server_note(analysis: Analysis) -> str | None:
    """What a static site served by nginx could gain from another nginx image, with the evidence (the
    tuned candidate moves a full nginx image whose runtime stage runs nothing to Alpine itself)."""
    from codi.imagedb.tags import parse_ref

    base = analysis.contract.base if analysis.contract is not None else None
    if not base or parse_ref(base).repo != "nginx":
        return None
    ref = parse_ref(base)
    runs = analysis.target is not None and any(
        i.keyword == "RUN" for st in analysis.model.stage_chain(analysis.target) for i in st.instructions)
    if "alpine" in ref.variants or ref.release.startswith("alpine"):
        size = "it is already the Alpine variant, the smallest nginx image of its version"
    elif runs:
        size = ("its Alpine variant of the same version is smaller, but the runtime stage runs commands (RUN) "
                "written for Debian")
    else:
        return None
    return (f"nothing to gain on the runtime image {base}: {size}; the non-root nginx image "
            "(nginxinc/nginx-unprivileged) listens on 8080 instead of 80, which changes the exposed port and "
            "every client's URL")


def _final_base(model: Model) -> str | None:
    final = model.final_stage
    return final.base if final is not None else None


def _alpine(base: str) -> bool:
    from codi.imagedb import lookup

    config = lookup(base)
    return config.os_family == "alpine" if config is not None else "alpine" in base.lower()
