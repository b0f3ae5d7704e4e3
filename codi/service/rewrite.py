"""`codi rewrite` and `POST /rewrite`: verified candidate Dockerfiles for a project; `--apply` writes the
candidate `codi run` recommends over the project's Dockerfile (keeping Dockerfile.orig) when the risk
policy allows it, else the best candidate it allows, and says which and why."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from codi import safefs
from codi.artifacts.models import CandidateRecord, MetricsRecord, RunRecord
from codi.atomic import atomic_write_text
from codi.optimise.catalog import CatalogError, load_catalog
from codi.report.adopt import POLICY_FOR_RISK
from codi.service.analyze import Analysis, analyze
from codi.service.candidates import CandidateSet, build_candidates
from codi.service.errors import InputError


def rewrite_with_analysis(project: str | Path, dockerfile: str | None = None, stack: str | None = None,
                          config_file: str | None = None, rules_path: str | None = None,
                          limit: int = 3) -> tuple[Analysis, CandidateSet]:
    analysis, cands, _ = _rewrite(project, dockerfile, stack, config_file, rules_path, limit)
    return analysis, cands


def _rewrite(project: str | Path, dockerfile: str | None, stack: str | None, config_file: str | None,
             rules_path: str | None, limit: int) -> tuple[Analysis, CandidateSet, str]:
    try:
        catalog = load_catalog(rules_path)
    except CatalogError as exc:
        raise InputError(str(exc)) from None
    analysis = analyze(project, dockerfile, stack, config_file)
    return analysis, build_candidates(analysis, catalog, limit), catalog.ruleset_version


def rewrite(project: str | Path, dockerfile: str | None = None, stack: str | None = None,
            config_file: str | None = None, rules_path: str | None = None, limit: int = 3) -> CandidateSet:
    """Analyse ``project`` and build its candidates (contract-checked, verified)."""
    return rewrite_with_analysis(project, dockerfile, stack, config_file, rules_path, limit)[1]


@dataclass(slots=True)
class Choice:
    """A candidate as ``--apply`` weighs it: its record and its text (verbatim)."""

    record: CandidateRecord
    text: str


@dataclass(slots=True)
class Applied:
    """What ``rewrite --apply`` did: the recommended candidate, the one written (if any), why, and each
    candidate's decision under the policy (best first)."""

    policy: str
    dockerfile: Path
    recommended: Choice | None = None
    written: Choice | None = None
    why: str = ""
    decisions: list[tuple[Choice, str]] = field(default_factory=list)  # (candidate, applied|proposed)
    backup: Path | None = None  # where the original was kept (Dockerfile.orig, or -2, -3... when taken)
    model_words: str | None = None  # the run's kept model sentence, when the candidate written is the one it explains


def choose(order: list[Choice], recommended: str | None, policy: str, dockerfile: Path) -> Applied:
    """The recommended candidate when ``policy`` allows its risk, else the best one it allows (``order`` is
    best first, as ``codi run`` ranks them)."""
    from codi.policy import allows

    rec = next((c for c in order if c.record.id == recommended), None)
    ranked = ([rec] if rec is not None else []) + [c for c in order if c is not rec]
    result = Applied(policy=policy, dockerfile=dockerfile, recommended=rec)
    for choice in ranked:
        take = result.written is None and allows(policy, choice.record.risk)
        result.decisions.append((choice, "applied" if take else "proposed"))
        if take:
            result.written = choice
    result.why = _why(result)
    return result


def _why(a: Applied) -> str:
    rec, got = a.recommended, a.written
    if rec is None:
        if got is None:
            return "no candidate is recommended (the run recommends keeping the original); nothing written"
        return f"applied {got.record.id}, the best candidate the {a.policy} risk policy allows"
    if got is rec:
        return f"applied the recommended candidate {rec.record.id} (risk {rec.record.risk}, within the {a.policy} policy)"
    need = POLICY_FOR_RISK.get(rec.record.risk, "aggressive")
    not_rec = (f"the recommended {rec.record.id} has risk {rec.record.risk}, which the {a.policy} policy does not "
               f"apply without asking (--risk-policy {need} applies it)")
    if got is None:
        return f"nothing written: {not_rec}, and no other candidate is within the {a.policy} policy"
    return f"applied {got.record.id}, the best candidate the {a.policy} policy allows, not the recommended one: {not_rec}"


def _write(result: Applied) -> Applied:
    if result.written is not None:
        mode = os.stat(result.dockerfile).st_mode
        if not mode & 0o222 or not os.access(result.dockerfile, os.W_OK):  # root may write anything: the bits too
            raise InputError(f"{result.dockerfile}: cannot write: the file is read-only (make it writable to adopt "
                             f"{result.written.record.id})")
        result.backup = atomic_write_text(result.dockerfile, result.written.text, keep_backup=True)
    return result


def apply_recommended(project: str | Path, policy: str, dockerfile: str | None = None, stack: str | None = None,
                      config_file: str | None = None, rules_path: str | None = None, limit: int = 3,
                      out: Path | None = None, rag: bool = True) -> Applied:
    """Build the candidates as ``codi run`` does, rank them with its scoring (``codi.service.run.recommend``,
    the run memory's bonus included) and write the pick ``choose`` makes."""
    from codi.artifacts.rundir import iso, utc_now
    from codi.service.run import RunOptions, estimated_numbers, past_runs, recommend, run_record

    analysis, cands, ruleset = _rewrite(project, dockerfile, stack, config_file, rules_path, limit)
    options = RunOptions(out=out or RunOptions().out, dockerfile=dockerfile, stack=stack, candidate_limit=limit,
                         rules_path=rules_path, config_file=config_file, llm=False, rag=rag)
    record = run_record(analysis, cands, ruleset, options, iso(utc_now()))
    metrics = estimated_numbers(analysis, cands)
    bonus = past_runs(analysis, record, options)
    pick = recommend(record, metrics, bonus).candidate_id
    texts = {b.record.id: b.text for b in cands.built}
    order = [Choice(c, texts[c.id]) for c in _in_order(record, metrics, bonus)]
    return _write(choose(order, pick, policy, analysis.dockerfile_path))


def _in_order(record: RunRecord, metrics: MetricsRecord, bonus: dict[str, float] | None = None) -> list[CandidateRecord]:
    from codi.service.run import ranking

    by_id = {c.id: c for c in record.candidates}
    return [by_id[s.candidate_id] for s in ranking(record, metrics, bonus) if s.eligible]


def apply_from_run(run_dir: Path, project: str | Path, policy: str, dockerfile: str | None = None) -> Applied:
    """Write the candidate the run in ``run_dir`` recommends (its own file, byte for byte) over the project's
    Dockerfile, as ``choose`` decides; refused when that Dockerfile changed since the run."""
    from codi.service.project import find_dockerfile, project_dir, read_dockerfile
    from codi.telemetry.audit import sha256_text
    from codi.telemetry.redact import REDACTED

    try:
        # a run dir may come from elsewhere (a CI artefact): its files are read like a project's found files
        record = RunRecord.model_validate_json(safefs.read_text(run_dir / "metadata" / "run.json", run_dir))
        metrics = MetricsRecord.model_validate_json(safefs.read_text(run_dir / "metadata" / "metrics.json", run_dir))
    except OSError as exc:
        raise InputError(f"{run_dir}: not a CODI run directory ({exc.strerror or exc})") from None
    except ValueError as exc:
        raise InputError(f"{run_dir}: run artefacts do not match their schema: {exc}") from None
    path = find_dockerfile(project_dir(project), dockerfile or record.dockerfile)
    original = read_dockerfile(path)
    ran_on = (record.options.get("inputs_sha256") or {}).get("Dockerfile")
    if ran_on and ran_on != sha256_text(original):
        raise InputError(f"{path}: changed since run {record.run_id} was made from it; run `codi run` again "
                         f"(or `codi rewrite --apply` without --run)")
    order: list[Choice] = []
    for cand in _in_order(record, metrics):
        try:
            # confined to the run's candidates/: a run.json naming ../../etc/hostname, or a candidate that links
            # out, must not put another file's text over the user's Dockerfile
            text = safefs.read_text(run_dir / cand.path, run_dir / "candidates")
        except OSError as exc:
            raise InputError(f"{run_dir / cand.path}: cannot read: {exc.strerror or exc}") from None
        if REDACTED in text and REDACTED not in original:
            raise InputError(f"{run_dir / cand.path}: the run redacted this candidate (an older CODI); adopt it "
                             f"with `codi rewrite --apply` without --run")
        order.append(Choice(cand, text))
    pick = record.recommendation.candidate_id if record.recommendation else None
    result = _write(choose(order, pick, policy, path))
    if result.written is not None and result.written is result.recommended:
        result.model_words = _model_words(run_dir)
    return result


MAX_MODEL_WORDS = 600  # characters: a kept sentence is one short sentence


def _model_words(run_dir: Path) -> str | None:
    """The model's kept sentence in the run's explain.json (it explains the recommended candidate), as one
    printable line: the run dir may come from elsewhere, so no control character reaches the terminal."""
    import json

    try:
        data = json.loads(safefs.read_text(run_dir / "metadata" / "explain.json", run_dir, limit=1 << 20))
    except (OSError, ValueError):
        return None
    words = data.get("summary_model") if isinstance(data, dict) else None
    if not isinstance(words, str):
        return None
    line = " ".join("".join(ch if ch.isprintable() else " " for ch in words).split())
    return line[:MAX_MODEL_WORDS] or None
