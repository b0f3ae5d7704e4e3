"""llama.cpp thread count: LLAMA_CPP_THREADS, else the cores the load average leaves idle."""

from __future__ import annotations

import pytest

from codi.llm import runtime


@pytest.mark.parametrize(("load", "cores", "expected"), [(0.2, 2, 2), (0.9, 2, 1), (7.5, 2, 1), (2.2, 8, 6),
                                                         (0.0, 16, 8)])
def test_threads_follow_idle_cores(monkeypatch: pytest.MonkeyPatch, load: float, cores: int, expected: int) -> None:
    monkeypatch.delenv("LLAMA_CPP_THREADS", raising=False)
    monkeypatch.setattr(runtime.os, "getloadavg", lambda: (load, load, load))
    monkeypatch.setattr(runtime.os, "cpu_count", lambda: cores)
    assert runtime.threads() == expected


def test_env_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LLAMA_CPP_THREADS", "3")
    monkeypatch.setattr(runtime.os, "getloadavg", lambda: (9.0, 9.0, 9.0))
    assert runtime.threads() == 3
    monkeypatch.setenv("LLAMA_CPP_THREADS", "zero")  # not a number: the load rule applies
    monkeypatch.setattr(runtime.os, "cpu_count", lambda: 2)
    assert runtime.threads() == 1
