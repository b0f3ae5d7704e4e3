"""`codi doctor`: preflight checks, each ``ok``/``warn``/``fail`` with a one-line reason and a fix hint.

The checks themselves live in :mod:`codi.ops.doctor_checks` (the installation) and
:mod:`codi.ops.doctor_state` (what CODI keeps: run memory, backups, drills, audit log, bundles).
This module holds the record, the production policy and the runner.

Production mode (``CODI_PRODUCTION=1``) turns the gated checks' warnings into failures: air-gap off,
a non-loopback LLM endpoint, no API key, unverified rules or adapter, catalog bases not pinned by
digest, audit log off, no backup younger than ``CODI_BACKUP_MAX_AGE_DAYS``. ``CODI_ENFORCE_<CHECK>=1|0``
sets each one on its own (``CODI_ENFORCE_API_KEY=0``). ``codi serve`` and ``codi stack up`` call
:func:`production_gate` and refuse to start while a check fails.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from codi.config.flags import debug_enabled
from codi.ops import doctor_checks as c
from codi.ops import doctor_state as s
from codi.ops.doctor_model import _RANK, Check, CheckResult, Context, Status

SCHEMA_VERSION = 1









def registry() -> list[tuple[str, Check]]:
    """Every check in the order doctor prints them."""
    return [("python", c.python_version), ("dependencies", c.dependencies), ("shellcheck", c.shellcheck),
            ("catalog", c.catalog), ("catalog_pinned", c.catalog_pinned), ("rules_verified", s.rules_verified),
            ("model", c.model), ("llm_endpoints", c.llm_endpoints), ("llm_loopback", c.llm_loopback),
            ("adapter", s.adapter), ("run_memory", s.run_memory), ("state_db", s.state_db),
            ("output_root", s.output_root),
            ("disk", s.disk), ("build_engine", c.build_engine), ("stand_in_bases", c.stand_in_bases),
            ("airgap", c.airgap), ("api_key", c.api_key), ("audit_log", s.audit_log), ("backup", s.backup),
            ("drill", s.drill)]


CHECK_NAMES = ("python", "dependencies", "shellcheck", "catalog", "catalog_pinned", "rules_verified", "model",
               "llm_endpoints", "llm_loopback", "adapter", "run_memory", "state_db", "output_root", "disk",
               "build_engine", "stand_in_bases", "airgap", "api_key", "audit_log", "backup", "drill")  # registry()'s order
# Liveness must stay cheap: no model load, no network, no integrity scan.
LIVENESS = ("python", "catalog", "output_root", "airgap")
READINESS = ("model", "run_memory", "output_root")
# Only ever warn (optional measured mode) and may take seconds: not run when a server starts.
SLOW_OPTIONAL = ("build_engine", "stand_in_bases")


def run_one(name: str, fn: Check, ctx: Context) -> CheckResult:
    started = time.perf_counter()
    try:
        result = fn(ctx)
    except Exception as exc:  # a check must never take doctor down; say what broke
        result = CheckResult(name, "fail", f"the check itself failed: {type(exc).__name__}: {exc}",
                             "a bug in CODI: please report it (CODI_DEBUG=1 codi doctor shows the traceback)")
        if debug_enabled():
            raise
    result.name = name
    result.data.setdefault("ms", round((time.perf_counter() - started) * 1000))
    return result


def run_checks(ctx: Context, only: tuple[str, ...] | None = None,
               skip: tuple[str, ...] = ()) -> list[CheckResult]:
    return [run_one(name, fn, ctx) for name, fn in registry()
            if (only is None or name in only) and name not in skip]


def overall(results: list[CheckResult]) -> Status:
    worst = max((_RANK[r.status] for r in results), default=0)
    order: tuple[Status, ...] = ("ok", "warn", "fail")
    return order[worst]


def report(ctx: Context, results: list[CheckResult]) -> dict[str, Any]:
    from codi import __version__

    counts = {s: sum(1 for r in results if r.status == s) for s in ("ok", "warn", "fail")}
    return {"schema_version": SCHEMA_VERSION, "codi_version": __version__, "production": ctx.production,
            "out": str(ctx.out), "status": overall(results), "counts": counts,
            "checks": [r.as_dict() for r in results]}


def render_text(ctx: Context, results: list[CheckResult]) -> str:
    mode = " (production mode)" if ctx.production else ""
    lines = [f"codi doctor{mode}: output root {ctx.out}"]
    width = max((len(r.name) for r in results), default=0)
    for r in results:
        label = {"ok": "ok  ", "warn": "WARN", "fail": "FAIL"}[r.status]
        lines.append(f"  {label}  {r.name.ljust(width)}  {r.reason}")
        if r.fix and r.status != "ok":
            lines.append(f"        {' ' * width}  fix: {r.fix}")
    counts = {s: sum(1 for r in results if r.status == s) for s in ("ok", "warn", "fail")}
    lines.append(f"{counts['ok']} ok, {counts['warn']} warning(s), {counts['fail']} failure(s)")
    return "\n".join(lines) + "\n"


def production_gate(out: str | Path, host: str | None = None,
                    env: Mapping[str, str] | None = None) -> list[CheckResult]:
    """The failing checks that stop `codi serve` / `codi stack up` in production mode (empty: go ahead)."""
    ctx = Context.create(out, host, env=env)
    if not ctx.production:
        return []
    return [r for r in run_checks(ctx, skip=SLOW_OPTIONAL) if r.status == "fail"]


def gate_message(failures: list[CheckResult]) -> str:
    """``codi: error: ...`` then one indented line per failing check with its fix."""
    lines = [f"codi: error: production mode (CODI_PRODUCTION=1): refusing to start: "
             f"{len(failures)} check(s) failed (codi doctor shows all)"]
    for r in failures:
        lines.append(f"  - {r.name}: {r.reason}" + (f" (fix: {r.fix})" if r.fix else ""))
    return "\n".join(lines) + "\n"
