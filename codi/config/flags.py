"""On/off switches from the environment, each read by one function (CLI, API and service all ask here)."""

from __future__ import annotations

import os

_OFF = frozenset({"0", "false", "no", "off"})


def env_flag(name: str, default: bool = True) -> bool:
    """``name`` is on unless set to 0/false/no/off (any case, spaces ignored)."""
    raw = os.environ.get(name)
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
