"""`codi rewrite` and `POST /rewrite`: verified candidate Dockerfiles for a project; `--apply` writes the best
one the risk policy allows over the project's Dockerfile (keeping Dockerfile.orig)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from codi.atomic import atomic_write_text
from codi.optimise.catalog import CatalogError, load_catalog
from codi.service.analyze import Analysis, analyze
from codi.service.candidates import BuiltCandidate, CandidateSet, build_candidates
from codi.service.errors import InputError


def rewrite_with_analysis(project: str | Path, dockerfile: str | None = None, stack: str | None = None,
                          config_file: str | None = None, rules_path: str | None = None,
                          limit: int = 3) -> tuple[Analysis, CandidateSet]:
    try:
        catalog = load_catalog(rules_path)
    except CatalogError as exc:
        raise InputError(str(exc)) from None
    analysis = analyze(project, dockerfile, stack, config_file)
    return analysis, build_candidates(analysis, catalog, limit)


def rewrite(project: str | Path, dockerfile: str | None = None, stack: str | None = None,
            config_file: str | None = None, rules_path: str | None = None, limit: int = 3) -> CandidateSet:
    """Analyse ``project`` and build its candidates (contract-checked, verified)."""
    return rewrite_with_analysis(project, dockerfile, stack, config_file, rules_path, limit)[1]


@dataclass(slots=True)
class Applied:
    """What ``rewrite --apply`` did: the candidate written (if any) and each candidate's decision."""

    policy: str
    dockerfile: Path
    written: BuiltCandidate | None = None
    decisions: list[tuple[BuiltCandidate, str]] = field(default_factory=list)  # (candidate, applied|proposed)


def apply_best(analysis: Analysis, cands: CandidateSet, policy: str) -> Applied:
    """Write the best candidate ``policy`` allows over the Dockerfile, atomically, keeping ``<name>.orig``."""
    from codi.policy import allows

    result = Applied(policy=policy, dockerfile=analysis.dockerfile_path)
    for built in cands.built:  # best first
        take = result.written is None and allows(policy, built.record.risk)
        result.decisions.append((built, "applied" if take else "proposed"))
        if take:
            result.written = built
    if result.written is not None:
        atomic_write_text(analysis.dockerfile_path, result.written.text, keep_backup=True)
    return result
