"""POST /lint and POST /fix: Dockerfile text in, findings or fixed text out (no shared filesystem)."""

from __future__ import annotations

import difflib

from fastapi import APIRouter, Request
from fastapi.responses import Response

from codi.api.fairlock import FairLock
from codi.api.models import Finding, FixBody, FixItem, FixResponse, LintBody, LintResponse
from codi.policy import Policy
from codi.rules.base import Finding as RuleFinding
from codi.safefs import max_file_bytes
from codi.service.errors import InputError
from codi.service.fix import fix_paths
from codi.service.lint import STDIN, LintOutcome, LintRequest, run_lint

router = APIRouter(tags=["text"])

# Linting is CPU-bound Python: threads of one worker only take turns on the GIL, and time-sliced
# requests all finish late. One lint at a time per worker, first come first served, keeps the
# others waiting without CPU and finishes each as soon as it can: the same throughput, a short tail.
_CPU = FairLock()


def _finding(f: RuleFinding, path: str) -> Finding:
    return Finding.model_validate({**f.payload(), "file": path})


def _lint(text: str, select: list[str] | None, extend_select: list[str], ignore: list[str],
          threshold: str | None) -> LintOutcome:
    # env={} : the server's own environment must not change what a client's text is checked against.
    with _CPU:
        return run_lint(LintRequest(paths=[STDIN], select=select, extend_select=extend_select, ignore=ignore,
                                    failure_threshold=threshold, stdin_text=text, env={},
                                    discover_config=False, max_file_size=max_file_bytes()))


def _refuse_input_errors(outcome: LintOutcome | None, path: str) -> None:
    """Text that is no Dockerfile (a NUL byte, over the size limit) is a 400, as it is exit 2 for the CLI:
    never an empty, passing result."""
    if outcome is not None and outcome.input_errors:
        raise InputError(outcome.input_errors[0].replace("<stdin>", path, 1))


@router.post("/lint", response_model=LintResponse, summary="Lint Dockerfile text")
def lint(body: LintBody) -> Response:
    outcome = _lint(body.dockerfile, body.select, body.extend_select, body.ignore, body.failure_threshold)
    _refuse_input_errors(outcome, body.path)
    result = LintResponse(findings=[_finding(f, body.path) for f in outcome.result.findings],
                          errors=[str(e) for e in outcome.result.errors], failed=outcome.exit_code != 0)
    # The hot endpoint: a model we built is valid by construction, so send its JSON as it is instead of
    # letting FastAPI validate it again (a second trip through the thread pool and a second encoding).
    return Response(result.model_dump_json(), media_type="application/json")


def _diff(before: str, after: str, path: str) -> str:
    name = path.lstrip("/")
    lines = difflib.unified_diff(before.splitlines(keepends=True), after.splitlines(keepends=True),
                                 fromfile=f"a/{name}", tofile=f"b/{name}")
    return "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines)


@router.post("/fix", response_model=FixResponse, summary="Fix Dockerfile text: fixed text and a unified diff")
def fix(body: FixBody, request: Request) -> FixResponse:
    req = LintRequest(paths=[STDIN], select=body.select, ignore=body.ignore, stdin_text=body.dockerfile, env={},
                      discover_config=False, max_file_size=max_file_bytes())
    policy = _policy(body, request)
    report = fix_paths(req, unsafe=body.unsafe and policy is None, diff_only=True,
                       risk_policy=policy.name if policy else None)
    _refuse_input_errors(report.lint, body.path)
    if not report.files:  # nothing could be linted (cannot happen for text, kept for safety)
        fixed, applied, dropped = body.dockerfile, [], []
    else:
        outcome = report.files[0].outcome
        fixed = outcome.fixed
        applied = [FixItem(code=r.code, line=r.line, description=r.description, applicability=r.applicability,
                           reason=r.reason) for r in outcome.applied]
        dropped = [FixItem(code=r.code, line=r.line, description=r.description, applicability=r.applicability,
                           reason=r.reason) for r in outcome.dropped]
    after = _lint(fixed, body.select, [], body.ignore, None)
    before_errors = report.lint.result.errors if report.lint is not None else []
    errors = list(dict.fromkeys(str(e) for e in (*before_errors, *after.result.errors)))
    return FixResponse(changed=fixed != body.dockerfile, fixed=fixed, diff=_diff(body.dockerfile, fixed, body.path),
                       applied=applied, dropped=dropped,
                       remaining=[_finding(f, body.path) for f in after.result.findings],
                       risk_policy=policy.as_dict() if policy else None,
                       proposed=[_finding(f, body.path) for f in report.proposed],
                       errors=errors, failed=after.exit_code != 0 or bool(errors))


def _policy(body: FixBody, request: Request) -> Policy | None:
    """The risk policy of a /fix request (``unsafe`` asks for balanced), capped at CODI_RISK_POLICY_MAX."""
    import os

    from codi.policy import server_max
    from codi.service.audit import resolve_policy

    asked = body.risk_policy or ("balanced" if body.unsafe else None)
    if asked is None and not os.environ.get("CODI_RISK_POLICY"):
        return None
    settings = getattr(request.app.state, "settings", None)
    return resolve_policy(asked, out=getattr(settings, "runs_root", None), actor="api", command="POST /fix",
                          cap=server_max())
