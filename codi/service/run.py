"""`codi run`: analysis + candidates + verification + numbers, written as one run directory."""

from __future__ import annotations

import os
import platform
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from codi import __version__
from codi.artifacts.models import (
    AnalysisRecord,
    CandidateNumbers,
    EnvironmentRecord,
    EstimatePart,
    ImageNumbers,
    MetricsRecord,
    Recommendation,
    RunRecord,
)
from codi.artifacts.rundir import RunWriter, iso, reserve_run_dir, utc_now
from codi.config.build import Setting, build_network, ca_bundle
from codi.config.flags import airgap_enabled
from codi.config.paths import output_root
from codi.llm.backend import LLMSettings, preload
from codi.llm.ranking import Scored, deterministic, reason, tie_groups
from codi.optimise.base_sizes import SIZE_TABLE_DATE, SIZE_TABLE_SOURCE
from codi.optimise.catalog import CatalogError, catalog_path, load_catalog
from codi.optimise.estimate import Estimate, estimate
from codi.service.analyze import Analysis, analyze
from codi.service.assist import AssistOptions, assist, past_run_bonus
from codi.service.audit import audit_run
from codi.service.candidates import CandidateSet, build_candidates, finding_record
from codi.service.errors import InputError
from codi.service.linting import lint_failure_notes
from codi.telemetry.audit import sha256_text


@dataclass(slots=True)
class RunOptions:
    out: Path = field(default_factory=output_root)
    dockerfile: str | None = None
    stack: str | None = None
    candidate_limit: int = 3
    dry_run: bool = False
    llm: bool = True
    rag: bool = True
    rules_path: str | None = None
    config_file: str | None = None
    real: bool = False  # build and smoke-run with a real engine (measured numbers)
    engine: str = "auto"
    keep_images: bool = False
    build_timeout: float = 600.0
    build_network: bool | None = None  # --build-network / --no-build-network; None: CODI_BUILD_NETWORK, system config
    ca_bundle: str | None = None  # --ca-bundle (a PEM file, or "none"); None: CODI_CA_BUNDLE, system config, host's
    build_args: dict[str, str] = field(default_factory=dict)  # --build-arg NAME=VALUE (FROM, contract, builds)
    target: str | None = None  # --target: the stage that is built
    context: str | None = None  # --context: the build context when it is not the project folder
    redact: bool = True  # codi.telemetry.redact on what describes the run (not inputs/, candidates/); False: --no-redact
    progress: Any = None  # a codi.service.measure.Progress, told as each stage starts (the CLI shows it)
    adapter: str | None = None  # the model's adapter folder, or "none" (--no-adapter); None: the default one
    actor: str | None = None  # who asked, for the audit log: an API key's id (never the key); None = this OS user
    probes: list[str] = field(default_factory=list)  # --probe: more HTTP paths the --real smoke runs compare


@dataclass(slots=True)
class RunResult:
    run_id: str
    run_dir: Path | None  # None for a dry run
    record: RunRecord
    metrics: MetricsRecord
    planned: list[str] = field(default_factory=list)  # files a dry run would write
    # The model's guard-checked words on the recommendation, and what the model cost (None: not used).
    model_words: str | None = None
    model_seconds: float | None = None
    analysis: Analysis | None = None  # the original, parsed and linted once for the whole run
    # --real asked for measured numbers and the original was not measured: why, in one line (the CLI exits 1).
    failed_check: str | None = None


def _parts(est: Estimate) -> list[EstimatePart]:
    return [EstimatePart(kind=p.kind, label=p.label, line=p.line, size_bytes=p.size_bytes,
                         detail=p.detail) for p in est.parts]


def estimated_numbers(analysis: Analysis, cands: CandidateSet) -> MetricsRecord:
    orig = estimate(analysis.dockerfile, analysis.model, analysis.sizes)
    original = ImageNumbers(kind="estimated", size_bytes=orig.size_bytes, layers=orig.layers, basis=orig.basis,
                            parts=_parts(orig), estimated_size_bytes=orig.size_bytes)
    out = MetricsRecord(original=original, size_table={"source": SIZE_TABLE_SOURCE, "date": SIZE_TABLE_DATE})
    for built in cands.built:
        est = built.estimate
        delta = None if est.size_bytes is None or orig.size_bytes is None else est.size_bytes - orig.size_bytes
        pct = None if delta is None or not orig.size_bytes else round(100.0 * delta / orig.size_bytes, 1)
        out.candidates.append(CandidateNumbers(
            candidate_id=built.record.id, kind="estimated", size_bytes=est.size_bytes, layers=est.layers,
            basis=est.basis, parts=_parts(est), estimated_size_bytes=est.size_bytes, size_delta_bytes=delta, size_delta_pct=pct, layers_delta=est.layers - orig.layers))
    return out


def run_record(analysis: Analysis, cands: CandidateSet, ruleset_version: str, options: RunOptions,
               created_at: str) -> RunRecord:
    """The record of a run of ``analysis`` (no id yet, no recommendation): what ``recommend`` reads."""
    return RunRecord(
        run_id="", created_at=created_at, project_path=str(analysis.project), project_name=analysis.project.name,
        dockerfile=analysis.dockerfile_rel, stack=analysis.detection.stack, codi_version=__version__,
        ruleset_version=ruleset_version, inputs={"Dockerfile": "inputs/Dockerfile"},
        candidates=[b.record for b in cands.built], rejected=cands.rejected,
        # fail closed: a lint that failed inside is no clean bill of health for the original
        status="failed" if analysis.linter.failed else "ok",
        notes=[*lint_failure_notes(analysis.linter.errors), *cands.notes],
        options={"candidate_limit": options.candidate_limit, "stack": options.stack, "llm": options.llm,
                 "rag": options.rag, "dry_run": options.dry_run, "real": options.real,
                 "build_network": bool(options.real and build_network(options.build_network).value),
                 # Names only: build args often carry tokens.
                 "build_args": sorted(options.build_args), "target": options.target,
                 "context": options.context, "redact": options.redact,
                 "inputs_sha256": {"Dockerfile": sha256_text(analysis.text)}},  # of the original, unredacted
        target_stage=(analysis.target.name or str(analysis.target.index)) if analysis.target else None,
        contract=analysis.contract)


def ranking(record: RunRecord, metrics: MetricsRecord, past_runs: Mapping[str, float] | None = None) -> list[Scored]:
    """Every candidate, best first, by the one score every entry point uses (``codi.llm.ranking``)."""
    return deterministic(record.candidates, {c.candidate_id: c for c in metrics.candidates}, past_runs)


def recommend(record: RunRecord, metrics: MetricsRecord, past_runs: Mapping[str, float] | None = None) -> Recommendation:
    """The deterministic pick, by the one score every entry point uses (``codi.llm.ranking``).

    ``codi run`` then lets the model reorder candidates whose scores are within the tie margin
    (``codi.service.assist``); a dry run does not load the model and says which candidates it may swap.
    """
    if not record.candidates:
        return Recommendation(candidate_id=None, reason="no candidate passed verification; keep the original")
    numbers = {c.candidate_id: c for c in metrics.candidates}
    order = ranking(record, metrics, past_runs)
    if not order[0].eligible:
        return Recommendation(candidate_id=None,
                              reason="every candidate failed its build or smoke run; keep the original")
    best = next(c for c in record.candidates if c.id == order[0].candidate_id)
    tied = [s.candidate_id for s in tie_groups(order)[0][1:]]
    return Recommendation(candidate_id=best.id, reason=reason(best, order[0], numbers.get(best.id), tied))


def past_runs(analysis: Analysis, record: RunRecord, options: RunOptions) -> dict[str, float]:
    """The run memory's score bonus per rule (read-only), as ``assist`` adds it."""
    if not options.rag:
        return {}
    return past_run_bonus(record, [finding_record(f) for f in analysis.findings], analysis.text, options.out)


def _environment(options: RunOptions, config_sources: list[str], ruleset: str,
                 engine: dict[str, Any], llm: dict[str, Any]) -> EnvironmentRecord:
    airgap = airgap_enabled()
    return EnvironmentRecord(
        codi_version=__version__, ruleset_version=ruleset, ruleset_path=str(catalog_path(options.rules_path)),
        python=sys.version.split()[0], platform=platform.platform(), config_sources=config_sources,
        airgap=airgap, llm={"enabled": options.llm, "endpoint": os.environ.get("LLM_ENDPOINT") or None,
                            "model_mount_path": os.environ.get("MODEL_MOUNT_PATH") or None,
                            "adapter_path": os.environ.get("ADAPTER_PATH") or None, **llm},
        engine=engine)


def run_project(project: str | Path, options: RunOptions) -> RunResult:
    """One run; its stages are traced under ``<out>/_traces/`` (codi.telemetry.tracing), tied by the run id."""
    from codi.telemetry.tracing import buffered, flush, span

    with buffered() as pending, span("run") as traced:
        result = _run_project(project, options)
        traced.set(run_id=result.run_id)
    if result.run_dir is not None and options.out is not None:
        flush(pending, options.out)
    return result


def build_settings(options: RunOptions) -> tuple[Setting[bool], Setting[Path | None]]:
    """The build network and CA bundle a --real run uses; InputError when air-gap mode refuses the network
    or a CA bundle that was asked for is not a file."""
    network, bundle = build_network(options.build_network), ca_bundle(options.ca_bundle)
    if options.real and network.value and airgap_enabled():
        raise InputError(f"the build network ({network.source}) lets RUN steps reach package registries, which "
                         "air-gap mode (AIRGAP, default on) forbids: set AIRGAP=false to allow it")
    if options.real and bundle.value is not None and bundle.source != "default" and not bundle.value.is_file():
        raise InputError(f"{bundle.value}: no such CA bundle ({bundle.source}; `none` turns it off)")
    return network, bundle


def _run_project(project: str | Path, options: RunOptions) -> RunResult:
    if options.candidate_limit < 1:
        raise InputError("--candidate-limit must be at least 1")
    build_settings(options)  # refused before any work
    try:
        catalog = load_catalog(options.rules_path)
    except CatalogError as exc:
        raise InputError(str(exc)) from None
    if options.llm and not options.dry_run:  # the model loads while CODI analyses (a dry run loads none)
        preload(LLMSettings.from_env(True, None, options.adapter, catalog.ruleset_version))
    if options.progress:
        options.progress("analyse")
    analysis = analyze(project, options.dockerfile, options.stack, options.config_file, options.target,
                       options.build_args, options.context)
    if options.progress:
        options.progress("candidates")
    cands = build_candidates(analysis, catalog, options.candidate_limit)
    created = utc_now()
    record = run_record(analysis, cands, catalog.ruleset_version, options, iso(created))
    metrics = estimated_numbers(analysis, cands)
    record.recommendation = recommend(record, metrics, past_runs(analysis, record, options))
    files = ["inputs/Dockerfile"] + [b.record.path for b in cands.built] + [
        "metadata/run.json", "metadata/analysis.json", "metadata/metrics.json", "metadata/environment.json",
        "metadata/llm_metrics.json", "metadata/rag.json", "metadata/explain.json",
        "logs/events.jsonl", "reports/report.md", "reports/report.html"]
    if options.dry_run:
        record.run_id = "(dry run)"
        return RunResult(record.run_id, None, record, metrics, files, analysis=analysis)
    return _write(analysis, cands, record, metrics, options, created, files)


def _write(analysis: Analysis, cands: CandidateSet, record: RunRecord, metrics: MetricsRecord,
           options: RunOptions, created: Any, files: list[str]) -> RunResult:
    try:
        run_id, _ = reserve_run_dir(options.out, record.stack, analysis.project.name, created)
        writer = RunWriter(options.out, run_id, redact=options.redact)
    except OSError as exc:
        raise InputError(f"{options.out}: cannot write runs there: {exc.strerror or exc}") from None
    record.run_id = run_id
    try:
        writer.event("run.started", project=str(analysis.project), dockerfile=analysis.dockerfile_rel)
        writer.write_user_file("inputs/Dockerfile", analysis.text)
        writer.event("analysis.done", stack=record.stack, findings=len(analysis.findings))
        for built in cands.built:
            writer.write_user_file(built.record.path, built.text)
        for rejected in cands.rejected:
            writer.event("candidate.rejected", rule_id=rejected.rule_id, reason=rejected.reason)
        writer.event("candidates.done", offered=len(cands.built))
        engine_info: dict[str, Any] = {"mode": "estimate", "reason": "measured builds not requested (use --real)"}
        failed_check: str | None = None
        if options.real:
            from codi.service.measure import MeasureOptions, measure

            writer.event("measure.started", engine=options.engine)
            network, bundle = build_settings(options)
            measured = measure(writer.root, analysis, cands.built, MeasureOptions(
                engine=options.engine, keep_images=options.keep_images, build_timeout=options.build_timeout,
                build_args=options.build_args, progress=options.progress, redact=options.redact,
                network=network.value, network_source=network.source, ca_bundle=bundle.value, ca_source=bundle.source,
                probes=list(options.probes)))
            measured.apply(metrics)
            record.notes += measured.notes  # a built image whose config differs from CODI's static reading
            for note in measured.notes:
                writer.event("measure.config_mismatch", note=note)
            metrics.base_map = dict(measured.base_map)
            engine_info = measured.engine
            record.notes += [f"stand-in: {text}" for text in (engine_info.get("stood_in") or {}).values()]
            for cid, why in measured.failed.items():
                writer.event("candidate.failed", candidate_id=cid, reason=why)
            if engine_info.get("original_error"):
                record.notes.append(f"the original did not build: {engine_info['original_error']}; "
                                    "its numbers stay estimated")
            failed_check = _not_measured(engine_info, measured.original is not None and measured.original.error is None)
            if failed_check:
                engine_info["failed_check"] = failed_check
                record.notes.insert(0, f"MEASUREMENT FAILED: {failed_check}; every number in this run is an "
                                       "estimate, not the result of --real")
                writer.event("measure.failed", reason=failed_check)
            record.recommendation = recommend(record, metrics, past_runs(analysis, record, options))
            writer.event("measure.done", engine=engine_info.get("name"))
        if options.progress:
            options.progress("assist")
        assisted = assist(record, metrics, [finding_record(f) for f in analysis.findings], analysis.text,
                          AssistOptions(out=options.out, llm=options.llm, rag=options.rag,
                                        adapter=options.adapter, ruleset=record.ruleset_version,
                                        record_applied=True))
        if assisted.top:
            record.recommendation = Recommendation(candidate_id=assisted.top, reason=assisted.rationale)
        for rel, data in assisted.artifacts().items():  # llm_metrics.json, rag.json, explain.json
            writer.write_json(rel, data)
        writer.event("assist.done", mode=assisted.mode)
        analysis_record = AnalysisRecord(
            dockerfile=analysis.dockerfile_rel, detection=analysis.detection,
            findings=[finding_record(f) for f in analysis.findings], errors=list(analysis.linter.errors),
            stages=[{"index": s.index, "name": s.name, "base": s.base, "base_resolved": s.base_resolved,
                     "platform": s.platform, "line": s.from_instr.start_line} for s in analysis.model.stages],
            facts={"ports": analysis.facts.ports, "workdir": analysis.facts.workdir, "user": analysis.facts.user,
                   "cmd": analysis.facts.cmd, "entrypoint": analysis.facts.entrypoint})
        record.finished_at = iso(utc_now())
        writer.write_json("metadata/analysis.json", analysis_record)
        writer.write_json("metadata/metrics.json", metrics)
        writer.write_json("metadata/environment.json",
                          _environment(options, analysis.linter.config_sources, record.ruleset_version,
                                       engine_info, {"mode": assisted.llm_metrics.get("mode"),
                                                     "model_id": assisted.llm_metrics.get("model_id"),
                                                     "adapter_version": assisted.llm_metrics.get("adapter_version")}))
        writer.write_json("metadata/run.json", record)
        writer.event("run.finished", recommendation=record.recommendation.candidate_id if record.recommendation else None)
        from codi.report.render import render_reports

        if options.progress:
            options.progress("report")
        render_reports(writer.root)
        audit_run(options.out, record, [f.code for f in analysis.findings], assisted.llm_metrics.get("adapter_version"),
                  actor=options.actor)
        run_dir = writer.commit()
    except BaseException:
        writer.abort()
        raise
    from codi.service.assist import remember

    warning = remember(options.out, run_dir, options.rag)
    if warning:
        record.notes.append(warning)
    llm = assisted.llm_metrics
    return RunResult(run_id, run_dir, record, metrics, files, analysis=analysis, model_words=assisted.explain.get("summary_model"),
                     model_seconds=llm["latency_ms"] / 1000 if llm.get("calls") else None, failed_check=failed_check)


def _not_measured(engine: dict[str, Any], original_built: bool) -> str | None:
    """Why a --real run measured nothing of the original (one line), or None when it did."""
    if engine.get("mode") != "measured":
        return f"--real: nothing was built: {engine.get('reason') or 'no build engine'}"
    if original_built:
        return None
    why = str(engine.get("original_error") or "unknown error").splitlines()[0]
    return f"--real: the original could not be built: {why}"
