"""Environment switches are read by one function each."""

from __future__ import annotations

import pytest

from codi.config.flags import airgap_enabled, env_flag, llm_enabled, rag_enabled


@pytest.mark.parametrize(("raw", "expected"), [(None, True), ("", True), ("1", True), ("on", True), ("yes", True),
                                               ("0", False), ("false", False), (" OFF ", False), ("No", False)])
def test_env_flag_values(monkeypatch: pytest.MonkeyPatch, raw: str | None, expected: bool) -> None:
    if raw is None:
        monkeypatch.delenv("CODI_TEST_FLAG", raising=False)
    else:
        monkeypatch.setenv("CODI_TEST_FLAG", raw)
    assert env_flag("CODI_TEST_FLAG") is expected


def test_named_flags_follow_their_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LLM_ENABLED", "false")
    monkeypatch.setenv("CODI_RAG", "off")
    monkeypatch.setenv("AIRGAP", "0")
    assert (llm_enabled(), rag_enabled(), airgap_enabled()) == (False, False, False)
    monkeypatch.delenv("LLM_ENABLED")
    assert llm_enabled()
