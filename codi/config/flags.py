"""On/off switches from the environment, each read by one function (CLI, API and service all ask here)."""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping

_OFF = frozenset({"0", "false", "no", "off"})


def env_flag(name: str, default: bool = True, env: Mapping[str, str] | None = None) -> bool:
    """``name`` is on unless set to 0/false/no/off (any case, spaces ignored); ``env`` replaces os.environ."""
    raw = (os.environ if env is None else env).get(name)
    if raw is None or not raw.strip():
        return default
    return raw.strip().lower() not in _OFF


def llm_enabled() -> bool:
    """LLM_ENABLED (default on): use the local model for ranking ties and explanations."""
    return env_flag("LLM_ENABLED")


def rag_enabled() -> bool:
    """CODI_RAG (default on): consult and update the memory of past runs."""
    return env_flag("CODI_RAG")


def airgap_enabled() -> bool:
    """AIRGAP (default on): refuse any model endpoint that is not on this machine (or allow-listed)."""
    return env_flag("AIRGAP")


def production_mode(env: Mapping[str, str] | None = None) -> bool:
    """CODI_PRODUCTION (default off): 1/true/yes/on turns chosen warnings into failures."""
    raw = (os.environ if env is None else env).get("CODI_PRODUCTION", "").strip().lower()
    return raw in ("1", "true", "yes", "on")


def debug_enabled() -> bool:
    """CODI_DEBUG (default off): show tracebacks instead of the one-line internal error."""
    return env_flag("CODI_DEBUG", default=False)


def trace_enabled() -> bool:
    """CODI_TRACE (default on): record tracing spans (codi.telemetry.tracing)."""
    return env_flag("CODI_TRACE")


def is_loopback_host(host: str) -> bool:
    """A host or bind address only this machine can reach (0.0.0.0 and :: are every interface: not loopback)."""
    if host in ("localhost", "ip6-localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
