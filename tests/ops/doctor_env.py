"""Shared set-up of the doctor tests: an environment with none of the operator's settings."""

from __future__ import annotations

from pathlib import Path

import pytest

SETTINGS = ("CODI_PRODUCTION", "CODI_API_KEY", "CODI_HOST", "AIRGAP", "AIRGAP_ALLOWLIST", "LLM_ENDPOINT",
            "LLM_ENABLED", "MODEL_MOUNT_PATH", "CODE_MODEL", "ADAPTER_PATH", "RULES_PATH", "CODI_STATE_DIR",
            "CODI_AUDIT_LOG", "CODI_AUDIT", "CODI_BACKUP_MAX_AGE_DAYS", "CODI_MIN_FREE_MB", "CODI_NO_CACHE", "CODI_DEBUG")


def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No operator setting leaks in; the output root, state, caches and config live under ``tmp_path``."""
    for name in list(SETTINGS):
        monkeypatch.delenv(name, raising=False)
    import os

    for name in [n for n in os.environ if n.startswith("CODI_ENFORCE_")]:
        monkeypatch.delenv(name)
    out = tmp_path / "runs"
    monkeypatch.setenv("CODI_OUTPUT_ROOT", str(out))
    monkeypatch.setenv("CODI_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("CODI_CONFIG", str(tmp_path / "codi.toml"))
    (tmp_path / "codi.toml").write_text("", encoding="utf-8")
    return out
