"""Risk policy: which fixes and candidates CODI applies without asking, and which it only proposes.

Every fix, catalog rule and candidate carries a risk (low, medium, high); a fix's applicability maps
onto it (safe = low, unsafe = medium, display = high). ``conservative`` applies low only, ``balanced``
low and medium, ``aggressive`` everything. The configured default is ``CODI_RISK_POLICY`` (else
conservative); ``--risk-policy`` or the API's ``risk_policy`` field asks for another. The API caps a
request at ``CODI_RISK_POLICY_MAX`` (default balanced). Asking for more than the default, or more than
the cap, is a policy override and is audited. Text written by the model never changes a risk.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

POLICIES = ("conservative", "balanced", "aggressive")
RISKS = ("low", "medium", "high")
_ALLOWED = {"conservative": 0, "balanced": 1, "aggressive": 2}  # the highest risk index applied
FIX_RISK = {"safe": "low", "unsafe": "medium", "display": "high"}
DEFAULT_POLICY, DEFAULT_MAX = "conservative", "balanced"


class PolicyError(ValueError):
    """An unknown policy name (a usage error)."""


def parse_policy(value: str, source: str = "--risk-policy") -> str:
    name = value.strip().lower()
    if name not in POLICIES:
        raise PolicyError(f"{source}: unknown risk policy {value!r} (choose from {', '.join(POLICIES)})")
    return name


def configured_policy() -> str:
    env = os.environ.get("CODI_RISK_POLICY", "").strip()
    return parse_policy(env, "CODI_RISK_POLICY") if env else DEFAULT_POLICY


def server_max() -> str:
    env = os.environ.get("CODI_RISK_POLICY_MAX", "").strip()
    return parse_policy(env, "CODI_RISK_POLICY_MAX") if env else DEFAULT_MAX


def rank(policy: str) -> int:
    return _ALLOWED[policy]


def allows(policy: str, risk: str) -> bool:
    return RISKS.index(risk if risk in RISKS else "high") <= _ALLOWED[policy]


def fix_risk(applicability: str) -> str:
    return FIX_RISK.get(applicability, "high")


def decision(policy: str, risk: str) -> str:
    """``applied`` (may be applied without asking) or ``proposed``."""
    return "applied" if allows(policy, risk) else "proposed"


@dataclass(slots=True, frozen=True)
class Policy:
    """The policy in effect, and how it was chosen."""

    name: str
    default: str
    requested: str | None = None
    cap: str | None = None
    capped: bool = False

    @property
    def override(self) -> bool:
        """More permissive than the configured default, or asked above the server's cap."""
        asked = self.requested or self.name
        return rank(asked) > rank(self.default) or self.capped

    def as_dict(self) -> dict[str, Any]:
        return {"policy": self.name, "default": self.default, "requested": self.requested, "cap": self.cap,
                "capped": self.capped, "override": self.override}


def resolve(requested: str | None, *, cap: str | None = None) -> Policy:
    """The policy for a request: the asked one (or the default), never above ``cap``. Raises PolicyError."""
    default = configured_policy()
    asked = parse_policy(requested) if requested else None
    name = asked or default
    capped = False
    if cap is not None and rank(name) > rank(cap):
        name, capped = cap, True
    return Policy(name=name, default=default, requested=asked, cap=cap, capped=capped)
