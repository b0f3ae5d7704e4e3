"""How to adopt a run's recommended candidate: the exact `codi rewrite --apply --run` command.

The reports end with it and the CLI prints it after a run. ``--run`` makes `rewrite --apply` write that
run's own candidate file (after checking the Dockerfile is still the one the run read), so what is
adopted is what the report shows, whatever ranking would say later.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from pathlib import Path

from codi.artifacts.models import RunRecord

# The least permissive risk policy that applies a candidate of each risk (codi.policy).
POLICY_FOR_RISK = {"low": "conservative", "medium": "balanced", "high": "aggressive"}


@dataclass(slots=True)
class Adoption:
    candidate_id: str
    candidate_path: str  # relative to the run directory
    risk: str
    command: str
    needs_policy: str | None  # the --risk-policy the command adds, when the policy in force would not apply it
    policy: str


def final_run_dir(run_dir: Path, record: RunRecord) -> Path:
    """Where the run lives once committed (reports are rendered in a staging folder beside it)."""
    folder = run_dir if run_dir.name == record.run_id or not record.run_id else run_dir.parent / record.run_id
    return folder.resolve()


def adoption(record: RunRecord, run_dir: Path, policy: str) -> Adoption | None:
    """The command that writes the recommended candidate over the project's Dockerfile; None when the run
    recommends keeping the original."""
    from codi.policy import allows

    rec = record.recommendation.candidate_id if record.recommendation else None
    cand = next((c for c in record.candidates if c.id == rec), None)
    if cand is None:
        return None
    words = ["codi", "rewrite", record.project_path, "--apply", "--run", str(final_run_dir(run_dir, record))]
    if record.dockerfile != "Dockerfile":
        words += ["--dockerfile", record.dockerfile]
    needs = None if allows(policy, cand.risk) else POLICY_FOR_RISK.get(cand.risk, "aggressive")
    if needs:
        words += ["--risk-policy", needs]
    return Adoption(cand.id, cand.path, cand.risk, " ".join(shlex.quote(w) for w in words), needs, policy)
