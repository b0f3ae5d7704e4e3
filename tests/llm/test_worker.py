"""`codi run` from a shell loads the model in a process of its own (codi.llm.worker, issue 23: the model's
cost): the words are the in-process model's, failures reach the run as reasons, and the child never
outlives CODI or imports code from the project folder."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from llmkit import needs_model

from codi.config.paths import NO_ADAPTER, adapter_path_from_env
from codi.llm import prompts, worker
from codi.llm.backend import Backend, LLMSettings, NoModel
from codi.llm.runtime import ModelUnavailable, embedded

REPO = Path(__file__).resolve().parents[2]
FACTS = "Change: Candidate slim, on python:3.12-slim.\nSize (estimated): 1062 MB -> 151 MB (-85.8%).\nRisk: low."


@pytest.fixture(autouse=True)
def _no_workers() -> Iterator[None]:
    yield
    worker.close_all()


@pytest.mark.parametrize("args, env", [
    (["demo", "--no-llm"], {}), (["demo", "--dry-run"], {}), (["--help"], {}),
    (["demo"], {"LLM_ENABLED": "false"}), (["demo"], {"LLM_ENDPOINT": "http://127.0.0.1:9"}),
])
def test_no_process_when_the_run_will_not_use_the_model(monkeypatch: pytest.MonkeyPatch, args: list[str],
                                                        env: dict[str, str]) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(worker, "start", lambda *a: pytest.fail("started"))
    assert worker.start_for(args) is None


def test_the_adapter_is_the_one_the_run_will_use(monkeypatch: pytest.MonkeyPatch) -> None:
    started: list[tuple[str | None, str | None]] = []
    monkeypatch.setattr(worker, "start", lambda model, adapter: started.append((model, adapter)))
    monkeypatch.delenv("LLM_ENABLED", raising=False)
    monkeypatch.delenv("LLM_ENDPOINT", raising=False)
    pytest.importorskip("llama_cpp")
    worker.start_for(["demo"])
    worker.start_for(["demo", "--no-adapter"])
    assert started == [(None, adapter_path_from_env()), (None, NO_ADAPTER)]
    assert LLMSettings.from_env(True, None, None).adapter == adapter_path_from_env()  # the Backend's key


@needs_model
def test_the_child_writes_the_in_process_models_words() -> None:
    child = worker.start(None, adapter_path_from_env())
    assert child is not None and worker.running(None, adapter_path_from_env()) is child
    messages = prompts.explain_messages(FACTS)
    there = child.chat(messages, None, prompts.EXPLAIN_MAX_TOKENS, prompts.STOP, sentences=1)
    here = embedded(None, adapter_path_from_env()).chat(messages, None, prompts.EXPLAIN_MAX_TOKENS, prompts.STOP,
                                                        sentences=1)
    assert there.text == here.text and there.text.strip()
    assert (there.model_id, there.adapter_version, there.prompt_tokens) == (here.model_id, here.adapter_version,
                                                                           here.prompt_tokens)


@needs_model
def test_a_run_uses_the_child_and_reports_a_load_failure_as_its_reason(tmp_path: Path) -> None:
    broken = tmp_path / "adapter"
    broken.mkdir()
    assert worker.start(None, str(broken)) is not None
    used = Backend(LLMSettings(enabled=True, adapter=str(broken)))
    with pytest.raises(NoModel, match="adapter"):
        used.generate([{"role": "user", "content": "hi"}])
    assert any("embedded model unavailable" in n for n in used.notes)


@needs_model
def test_an_adapter_for_another_ruleset_is_refused() -> None:
    assert worker.start(None, adapter_path_from_env()) is not None
    used = Backend(LLMSettings(enabled=True, adapter=adapter_path_from_env(), ruleset="1999.01.1"))
    with pytest.raises(NoModel, match="ruleset .* is not compatible"):
        used.generate([{"role": "user", "content": "hi"}])


@needs_model
def test_a_child_that_dies_is_a_reason_not_a_hang() -> None:
    child = worker.start(None, NO_ADAPTER)
    assert child is not None
    child.chat([{"role": "user", "content": "Say ok."}], max_tokens=2)
    child._proc.kill()
    with pytest.raises(ModelUnavailable, match="ended unexpectedly"):
        child.chat([{"role": "user", "content": "Say ok."}], max_tokens=2)


@needs_model
def test_the_child_imports_nothing_from_the_folder_codi_runs_in(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """The project folder is hostile input: a `codi` package in it must not run in the model's process."""
    planted = tmp_path / "codi" / "llm"
    planted.mkdir(parents=True)
    marker = tmp_path / "planted-code-ran"
    code = f"open({str(marker)!r}, 'w').close()\n"
    for name in ("codi/__init__.py", "codi/llm/__init__.py", "codi/llm/worker.py"):
        (tmp_path / name).write_text(code)
    monkeypatch.chdir(tmp_path)
    child = worker.start(None, NO_ADAPTER)
    assert child is not None
    assert child.chat([{"role": "user", "content": "Say ok."}], max_tokens=2).backend == "embedded"
    assert not marker.exists()


@needs_model
def test_codi_run_from_a_shell_uses_the_child_and_leaves_no_process(tmp_path: Path) -> None:
    mark = f"TEST_MARK=codi-worker-test-{os.getpid()}-{id(tmp_path)}"
    env = {k: v for k, v in os.environ.items() if k not in ("ADAPTER_PATH", "LLM_ENABLED", "LLM_ENDPOINT")}
    name, _, value = mark.partition("=")
    with open(tmp_path / "out", "w") as out_file, open(tmp_path / "err", "w") as err_file:
        run = subprocess.Popen([sys.executable, "-m", "codi", "run", str(REPO / "demo" / "go"), "--out",
                                str(tmp_path / "runs"), "--json", "--disable-rag"], stdout=out_file, stderr=err_file,
                               env={**env, name: value}, cwd=tmp_path)
        seen, deadline = set(), time.monotonic() + 300
        while run.poll() is None:
            if time.monotonic() > deadline:
                run.kill()
                pytest.fail("codi run did not end")
            seen.update(pid for pid, cmdline in _processes_with(mark) if b"codi.llm.worker" in cmdline)
            threading.Event().wait(0.02)
    out, err = (tmp_path / "out").read_text(), (tmp_path / "err").read_text()
    assert run.returncode == 0, err[-2000:]
    assert seen  # the model ran in a process of its own
    run_dir = Path(json.loads(out)["run_dir"])
    metrics = json.loads((run_dir / "metadata" / "llm_metrics.json").read_text(encoding="utf-8"))
    assert metrics["mode"] == "llm" and metrics["calls"] >= 1 and metrics["fallback_reason"] is None
    assert not _processes_with(mark)  # and it ended with the run


def _processes_with(entry: str) -> list[tuple[str, bytes]]:
    """(pid, command line) of this user's processes whose environment holds ``entry``."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        if entry.encode() in environ:
            found.append((pid, cmdline))
    return found
