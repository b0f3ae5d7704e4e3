"""What a doctor check is: its result (``CheckResult``), what it reads (``Context``) and the gated checks.

The checks live in codi.ops.doctor_checks and codi.ops.doctor_state; codi.ops.doctor runs them."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from codi.config.flags import env_flag, production_mode
from codi.config.paths import state_dir

Status = Literal["ok", "warn", "fail"]


_RANK = {"ok": 0, "warn": 1, "fail": 2}


# The checks that production mode turns from warnings into failures (name = CODI_ENFORCE_<NAME>).
GATED = ("airgap", "llm_loopback", "api_key", "rules_verified", "adapter", "catalog_pinned", "audit_log",
         "backup")


@dataclass(slots=True)
class CheckResult:
    name: str
    status: Status
    reason: str
    fix: str = ""
    data: dict[str, Any] = field(default_factory=dict)
    enforced: bool = False  # a gated check judged by the production rule

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "status": self.status, "reason": self.reason, "fix": self.fix or None,
                "gated": self.name in GATED, "enforced": self.enforced, "data": self.data}


@dataclass(slots=True)
class Context:
    """What every check reads: the output root, the environment and the production policy."""

    out: Path
    env: Mapping[str, str]
    host: str | None = None  # the address `codi serve` would bind (--host, else CODI_HOST)
    production: bool = False

    @classmethod
    def create(cls, out: str | Path, host: str | None = None, production: bool | None = None,
               env: Mapping[str, str] | None = None) -> Context:
        env = os.environ if env is None else env
        prod = production_mode(env) if production is None else production
        return cls(Path(out), env, host or env.get("CODI_HOST") or None, prod)

    def enforced(self, name: str) -> bool:
        """Whether a gated check fails (rather than warns): CODI_ENFORCE_<NAME>, else production mode."""
        return env_flag(f"CODI_ENFORCE_{name.upper()}", self.production, self.env)

    def judge(self, name: str, ok: bool, reason: str, fix: str, data: dict[str, Any] | None = None,
              ok_reason: str | None = None) -> CheckResult:
        """A gated check: ok, else warn (fail when enforced)."""
        if ok:
            return CheckResult(name, "ok", ok_reason or reason, "", data or {})
        strict = self.enforced(name)
        why = f"{reason} (production mode)" if strict and self.production else reason
        return CheckResult(name, "fail" if strict else "warn", why, fix, data or {}, enforced=strict)

    @property
    def state(self) -> Path:
        """CODI's state folder: CODI_STATE_DIR, else ``<out>/.codi-state``."""
        return state_dir(self.out, self.env)


Check = Callable[[Context], CheckResult]
