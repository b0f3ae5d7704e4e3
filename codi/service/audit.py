"""The audit lines the service writes: a run, the fixes written, a risk-policy override.

The log itself (a hash chain, codi.telemetry.audit) knows nothing of runs or policies; what each action
records, and what happens when production mode cannot write it (the action fails, one line), lives here.
"""

from __future__ import annotations

from pathlib import Path

from codi.artifacts.models import RunRecord
from codi.config.paths import output_root
from codi.policy import Policy, resolve
from codi.service.errors import InputError, LintUsageError
from codi.telemetry import audit as log  # called through the module: tests replace log.audit_event
from codi.telemetry.audit import AuditError, default_out


def _blocked(exc: AuditError, what: str) -> Exception:
    return InputError(f"{exc}; {what} (production mode fails closed)")


def audit_run(out: Path, record: RunRecord, rule_ids: list[str], adapter_version: object = None,
              actor: str | None = None) -> None:
    """The ``run`` line of ``codi run``/``codi all`` (and the API's runs); an InputError when it cannot be written
    in production mode, so the run is not kept."""
    rec = record.recommendation
    chosen = next((c for c in record.candidates if rec and c.id == rec.candidate_id), None)
    try:
        log.audit_event(out, "run", actor=actor, run_id=record.run_id, project=record.project_name,
                    dockerfile_sha256=(record.options.get("inputs_sha256") or {}).get("Dockerfile"),
                    rule_ids=sorted(set(rule_ids)), adapter_version=adapter_version,
                    risk=chosen.risk if chosen else None, policy=record.options.get("risk_policy"),
                    decision=chosen.id if chosen else "keep-original", redact=record.options.get("redact", True))
    except AuditError as exc:
        raise _blocked(exc, "the run was not kept") from None


def audit_fix(paths: list[tuple[str, str, list[str]]], policy: str | None = None) -> None:
    """One ``fix-apply`` line per written file: (path, sha256 of the text before, rule ids applied)."""
    try:
        for path, before, rules in paths:
            log.audit_event(default_out(), "fix-apply", path=path, dockerfile_sha256=before, rule_ids=sorted(set(rules)),
                        policy=policy, decision="applied")
    except AuditError as exc:  # LintUsageError: what `codi fix` and POST /fix report as one line
        raise LintUsageError(f"{exc}; the fixes were written but not audited (production mode fails closed)") from None


def resolve_policy(requested: str | None, *, out: str | Path | None, actor: str | None, command: str,
                   cap: str | None = None) -> Policy:
    """The risk policy of a request (codi.policy.resolve; PolicyError when unknown) with its override audited:
    the one call the CLI (`fix`, `rewrite --apply`) and the API (POST /fix) make."""
    policy = resolve(requested, cap=cap)
    if policy.override:
        log.audit_event(output_root(out), "policy-override", actor=actor, policy=policy.name, default=policy.default,
                    requested=policy.requested, cap=policy.cap,
                    decision="capped" if policy.capped else "allowed", command=command)
    return policy
