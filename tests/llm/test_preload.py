"""The embedded model starts loading on a background thread while `codi run` analyses (issue 23: the
model's cost), and a load that fails there is reported where the model is used, not lost."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import pytest

from codi.llm import backend
from codi.llm.backend import Backend, LLMSettings, NoModel, preload
from codi.llm.runtime import ModelUnavailable


def test_preload_loads_the_model_the_first_call_then_uses(monkeypatch: pytest.MonkeyPatch) -> None:
    loaded: list[tuple[str | None, str | None, str | None]] = []
    where: list[str] = []

    def fake(model: str | None, adapter: str | None, ruleset: str | None) -> object:
        loaded.append((model, adapter, ruleset))
        where.append(threading.current_thread().name)
        return object()

    monkeypatch.setattr(backend, "embedded", fake)
    thread = preload(LLMSettings(enabled=True, adapter="/x/adapter", ruleset="2026.11.1"))
    assert thread is not None
    thread.join(5)
    assert loaded == [(None, "/x/adapter", "2026.11.1")] and where == ["codi-model-preload"]


@pytest.mark.parametrize("settings", [LLMSettings(enabled=False), LLMSettings(endpoints=["http://127.0.0.1:9"])])
def test_nothing_preloads_with_the_model_off_or_an_endpoint(monkeypatch: pytest.MonkeyPatch,
                                                            settings: LLMSettings) -> None:
    monkeypatch.setattr(backend, "embedded", lambda *a: pytest.fail("loaded"))
    assert preload(settings) is None


def test_a_failed_preload_is_reported_by_the_call_that_needs_the_model(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_: object) -> object:
        raise ModelUnavailable("cannot load x.gguf: bad magic")

    monkeypatch.setattr(backend, "embedded", broken)
    thread = preload(LLMSettings(enabled=True))
    assert thread is not None
    thread.join(5)  # the thread ends quietly
    used = Backend(LLMSettings(enabled=True))
    with pytest.raises(NoModel, match="bad magic"):
        used.generate([{"role": "user", "content": "hi"}])
    assert any("bad magic" in n for n in used.notes)


def test_codi_run_starts_the_load_before_it_analyses(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from codi.service import run as run_module

    order: list[str] = []
    monkeypatch.setattr(run_module, "preload", lambda settings: order.append(f"preload {settings.enabled}"))
    real_analyze = run_module.analyze

    def analyze(*args: object, **kwargs: object) -> object:
        order.append("analyse")
        return real_analyze(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(run_module, "analyze", analyze)
    project = tmp_path / "p"
    project.mkdir()
    (project / "Dockerfile").write_text("FROM alpine:3.20\nCMD [\"true\"]\n")
    run_module.run_project(project, run_module.RunOptions(out=tmp_path / "runs", llm=False, rag=False))
    assert order == ["analyse"]  # --no-llm: nothing loads
    order.clear()
    monkeypatch.setenv("LLM_ENABLED", "false")  # whatever the environment says, the attempt comes first
    run_module.run_project(project, run_module.RunOptions(out=tmp_path / "runs", llm=True, rag=False))
    assert order[:2] == ["preload False", "analyse"]


def _python(tmp_path: Path, code: str) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a fresh interpreter (the model's threads and the process exit are what is tested)."""
    pytest.importorskip("llama_cpp")
    script = tmp_path / "script.py"
    script.write_text(code)
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return done


def test_exit_waits_for_a_model_call_still_running(tmp_path: Path) -> None:
    """Regression: a run with no candidate ended while the background warm-up was still reading, and
    freeing the model at exit under that call crashed the process (SIGSEGV, exit 139)."""
    _python(tmp_path,
        "import threading, time\n"
        "from codi.llm import runtime\n"
        "model = runtime.embedded()\n"
        "started = threading.Event()\n"
        "tokens = model._llama.tokenize(b'a small image is a fast image ' * 60)\n"
        "def busy():\n"
        "    with model._lock:\n"
        "        model._llama.reset()\n"
        "        started.set()\n"
        "        model._llama.eval(tokens)  # about a second inside llama.cpp\n"
        "threading.Thread(target=busy, daemon=True).start()\n"
        "started.wait()\n"
        "time.sleep(0.1)\n")


def test_a_background_load_loses_none_of_the_main_threads_output(tmp_path: Path) -> None:
    """Regression: llama-cpp-python pointed fds 1 and 2 at /dev/null while the model loaded on the
    background thread, so `codi run --json` on a project with no candidate printed nothing (exit 0)."""
    done = _python(
        tmp_path,
        "import sys, threading, time\n"
        "from codi.llm import runtime\n"
        "loader = threading.Thread(target=runtime.embedded)\n"
        "loader.start()\n"
        "for i in range(400):\n"
        "    sys.stdout.write(f'{i}\\n'); sys.stdout.flush()\n"
        "    sys.stderr.write(f'{i}\\n'); sys.stderr.flush()\n"
        "    time.sleep(0.002)\n"
        "loader.join()\n")
    want = [str(i) for i in range(400)]
    assert done.stdout.split() == want
    assert [x for x in done.stderr.split() if x.isdigit()] == want
