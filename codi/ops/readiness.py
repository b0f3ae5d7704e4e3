"""The doctor checks behind the API's probes: ``/healthz`` (liveness, cheap) and ``/readyz`` (model and run
memory ready). Readiness loads the service's own model (``codi.llm.runtime.embedded``), so the first probe
also warms it and later ones cost nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from codi.ops.doctor import LIVENESS, SCHEMA_VERSION, run_checks, run_one
from codi.ops.doctor_model import CheckResult, Context


def liveness(out: str | Path) -> dict[str, str]:
    """{check: status} of the cheap checks (no model, no network, no database scan)."""
    return {r.name: r.status for r in run_checks(Context.create(out), LIVENESS)}


def model_ready(ctx: Context) -> CheckResult:
    """The model the service answers with is loaded (or not needed)."""
    from codi.config.flags import env_flag
    from codi.llm.adapters import AdapterError
    from codi.llm.endpoints import endpoints_from_env
    from codi.llm.runtime import ModelUnavailable, embedded
    from codi.ops.doctor_checks import INSTALL_MODEL

    if not env_flag("LLM_ENABLED", env=ctx.env):
        return CheckResult("model", "ok", "LLM_ENABLED=0: no model needed")
    if endpoints_from_env():
        return CheckResult("model", "ok", "model served by LLM_ENDPOINT (see codi doctor for its health)")
    try:
        loaded = embedded()
    except (ModelUnavailable, AdapterError) as exc:
        return CheckResult("model", "fail", f"model not loadable: {exc}", INSTALL_MODEL)
    return CheckResult("model", "ok", f"{loaded.model_id} loaded", data={"model_id": loaded.model_id,
                                                                          "adapter": loaded.adapter_version})


def readiness(out: str | Path) -> tuple[bool, dict[str, Any]]:
    """(ready, body): ready when neither the model, the run memory nor the output root fails."""
    from codi.ops.doctor_state import output_root, run_memory

    ctx = Context.create(out)
    results = [run_one("model", model_ready, ctx), run_one("run_memory", run_memory, ctx),
               run_one("output_root", output_root, ctx)]
    ready = all(r.status != "fail" for r in results)
    return ready, {"schema_version": SCHEMA_VERSION, "status": "ready" if ready else "not ready",
                   "checks": [r.as_dict() for r in results]}
