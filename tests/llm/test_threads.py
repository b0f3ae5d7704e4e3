"""llama.cpp thread count: LLAMA_CPP_THREADS, else the cores other work leaves idle."""

from __future__ import annotations

import pytest

from codi.llm import runtime


@pytest.mark.parametrize(("load", "cores", "expected"), [(0.2, 2, 2), (0.9, 2, 1), (7.5, 2, 1), (2.2, 8, 6),
                                                         (0.0, 16, 8)])
def test_threads_follow_idle_cores(monkeypatch: pytest.MonkeyPatch, load: float, cores: int, expected: int) -> None:
    monkeypatch.delenv("LLAMA_CPP_THREADS", raising=False)
    monkeypatch.setattr(runtime.os, "getloadavg", lambda: (load, load, load))
    monkeypatch.setattr(runtime.os, "cpu_count", lambda: cores)
    monkeypatch.setattr(runtime, "_others_running", lambda: None)  # no /proc: the load average alone
    assert runtime.threads() == expected


@pytest.mark.parametrize(("load", "running", "expected"), [
    (1.0, 0, 2),  # the load of CODI's own runs a moment ago: nothing else runs now, both cores
    (1.0, 1, 1),  # another job is running now
    (7.5, 0, 2),  # the machine went quiet: the average still lags, what runs now decides
    (7.5, 3, 1),
    (0.1, 3, 2),  # a burst just now on an otherwise idle minute: the average decides
])
def test_what_runs_now_corrects_a_lagging_average(monkeypatch: pytest.MonkeyPatch, load: float, running: int,
                                                   expected: int) -> None:
    monkeypatch.delenv("LLAMA_CPP_THREADS", raising=False)
    monkeypatch.setattr(runtime.os, "getloadavg", lambda: (load, load, load))
    monkeypatch.setattr(runtime.os, "cpu_count", lambda: 2)
    monkeypatch.setattr(runtime, "_others_running", lambda: running)
    assert runtime.threads() == expected


def test_others_running_reads_this_machine() -> None:
    now = runtime._others_running()
    assert now is None or now >= 0


def test_env_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LLAMA_CPP_THREADS", "3")
    monkeypatch.setattr(runtime.os, "getloadavg", lambda: (9.0, 9.0, 9.0))
    assert runtime.threads() == 3
    monkeypatch.setenv("LLAMA_CPP_THREADS", "zero")  # not a number: the load rule applies
    monkeypatch.setattr(runtime.os, "cpu_count", lambda: 2)
    monkeypatch.setattr(runtime, "_others_running", lambda: None)
    assert runtime.threads() == 1
