"""`codi rewrite` and `POST /rewrite`: verified candidate Dockerfiles for a project, nothing written."""

from __future__ import annotations

from pathlib import Path

from codi.optimise.catalog import CatalogError, load_catalog
from codi.service.analyze import analyze
from codi.service.candidates import CandidateSet, build_candidates
from codi.service.errors import InputError


def rewrite(project: str | Path, dockerfile: str | None = None, stack: str | None = None,
            config_file: str | None = None, rules_path: str | None = None, limit: int = 3) -> CandidateSet:
    """Analyse ``project`` and build its candidates (contract-checked, verified)."""
    try:
        catalog = load_catalog(rules_path)
    except CatalogError as exc:
        raise InputError(str(exc)) from None
    return build_candidates(analyze(project, dockerfile, stack, config_file), catalog, limit)
