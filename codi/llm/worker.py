"""The embedded model in a process of its own, for a one-shot command (`codi run` from a shell).

Loading the model is mostly Python work (imports, llama-cpp-python's set-up, a log callback per
tensor). On a background thread it competed with CODI's own analysis for the interpreter lock, and
on 2 cores the first model call still waited ~0.3 s for it. In a child process it loads on the other
core while CODI analyses, and is ready (heads read) before the first call in the demos.

The child reads one JSON line per request on stdin and answers one JSON line per request on a pipe of
its own (its fd 1 is pointed at stderr, so nothing llama.cpp prints can garble an answer): first the
load (``{"ready": ...}`` or ``{"error": ...}``), then one ``{"generation": ...}`` or ``{"error": ...}``
per call. CODI ends it at exit; a CODI that is killed closes its stdin, and it ends then. A long-lived process
(`codi serve`, `codi llm serve`, tests) keeps the model in-process (``codi.llm.runtime.embedded``).
"""

from __future__ import annotations

import atexit
import json
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import asdict
from typing import IO, Any

from codi.llm.runtime import Generation, ModelUnavailable

MAX_LINE = 1 << 20  # an answer is a few hundred tokens; a longer line is a broken child

_workers: dict[tuple[str | None, str | None], WorkerModel] = {}
_workers_lock = threading.Lock()


class WorkerModel:
    """The parent's side: ``chat`` as ``EmbeddedModel.chat`` has it; calls are serialised."""

    def __init__(self, proc: subprocess.Popen[str], adapter: str | None) -> None:
        self._proc = proc
        self._adapter = adapter
        self._lock = threading.Lock()
        self._ready: dict[str, Any] | None = None
        self._error: str | None = None

    def require_ruleset(self, ruleset: str | None) -> None:
        """Refuse an adapter made for another ruleset series, as ``codi.llm.adapters.require_adapter`` does
        (the child loaded it before CODI had read its rules)."""
        from codi.llm.adapters import ruleset_problem

        with self._lock:
            self._wait_ready()
            made_for = (self._ready or {}).get("ruleset_version")
            wrong = ruleset_problem(str(made_for) if made_for else None, ruleset)
            if self._error is None and wrong is not None:
                self._error = f"adapter {self._adapter} refused: {wrong}"
            if self._error is not None:
                raise ModelUnavailable(self._error)

    def _wait_ready(self) -> None:
        if self._error is None and self._ready is None:
            self._ready = self._answer() or None

    def chat(self, messages: list[dict[str, str]], schema: dict[str, Any] | None = None, max_tokens: int = 128,
             stop: list[str] | None = None, sentences: int | None = None) -> Generation:
        request = {"messages": messages, "schema": schema, "max_tokens": max_tokens, "stop": stop,
                   "sentences": sentences}
        started = time.perf_counter()
        with self._lock:
            self._wait_ready()
            if self._error is None:
                try:
                    assert self._proc.stdin is not None
                    self._proc.stdin.write(json.dumps(request) + "\n")
                    self._proc.stdin.flush()
                except (OSError, ValueError):
                    self._ended()
            got = self._answer() if self._error is None else {}
            if self._error is not None:
                raise ModelUnavailable(self._error)
        try:
            gen = Generation(**got["generation"])
        except (KeyError, TypeError) as exc:
            raise ModelUnavailable(f"the model process gave an answer CODI cannot read ({exc})") from None
        # The time this run waited, the end of the model's load included (the child's own figure is less).
        gen.latency_ms = max(gen.latency_ms, int((time.perf_counter() - started) * 1000))
        return gen

    def _answer(self) -> dict[str, Any]:
        """The child's next line; sets ``_error`` (and returns {}) when it reports one or has ended."""
        assert self._proc.stdout is not None
        try:
            line = self._proc.stdout.readline(MAX_LINE)
            got = json.loads(line) if line.endswith("\n") else None
        except (OSError, ValueError):
            got = None
        if not isinstance(got, dict):
            self._ended()
            return {}
        if "error" in got:
            self._error = str(got["error"])
            return {}
        return got

    def _ended(self) -> None:
        try:
            code: int | None = self._proc.wait(5)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            code = None
        self._error = f"the model process ended unexpectedly (exit {code})"

    def close(self) -> None:
        """End the child now: CODI is done with the model, and a child still loading or tearing down would
        hold a caller's stderr pipe open (``$(codi run ...)`` would wait for it)."""
        self._proc.kill()
        try:
            self._proc.wait(5)
        except subprocess.TimeoutExpired:  # stuck in the kernel (a hung file system): the OS reaps it later
            pass


def start(model: str | None, adapter: str | None) -> WorkerModel | None:
    """Start loading the model in a child process (once per model and adapter; the ruleset is checked when
    the model is used); None when no process can be started."""
    key = (model, adapter)
    with _workers_lock:
        if key in _workers:
            return _workers[key]
        # -P: the current directory (a project CODI reads, maybe hostile) is not on the child's import path.
        try:
            proc = subprocess.Popen([sys.executable, "-P", "-m", "codi.llm.worker"], stdin=subprocess.PIPE,
                                    stdout=subprocess.PIPE, text=True, encoding="utf-8", errors="replace",
                                    close_fds=True)
            assert proc.stdin is not None
            proc.stdin.write(json.dumps({"model": model, "adapter": adapter}) + "\n")
            proc.stdin.flush()
        except (OSError, ValueError, TypeError):  # no interpreter to start (sys.executable empty), no pipes
            return None
        worker = WorkerModel(proc, adapter)
        if not _workers:
            atexit.register(close_all)
        _workers[key] = worker
        return worker


def start_for(args: list[str]) -> WorkerModel | None:
    """`codi run`/`codi all` from a shell: start the model's process before CODI imports its pipeline, unless
    the arguments or the environment leave the model unused (--no-llm, --dry-run, --help, LLM_ENABLED=false,
    an LLM_ENDPOINT first) or it is not installed. The adapter is found as the run will find it."""
    import importlib.util

    from codi.config.flags import llm_enabled
    from codi.config.paths import NO_ADAPTER, adapter_path_from_env
    from codi.llm.endpoints import endpoints_from_env

    if any(a in ("--no-llm", "--dry-run", "--help", "-h") for a in args) or not llm_enabled():
        return None
    if endpoints_from_env() or importlib.util.find_spec("llama_cpp") is None:
        return None
    return start(None, NO_ADAPTER if "--no-adapter" in args else adapter_path_from_env())


def running(model: str | None, adapter: str | None) -> WorkerModel | None:
    with _workers_lock:
        return _workers.get((model, adapter))


def close_all() -> None:
    with _workers_lock:
        for worker in _workers.values():
            worker.close()
        _workers.clear()


def _send(out: IO[str], payload: dict[str, Any]) -> None:
    try:
        out.write(json.dumps(payload) + "\n")
        out.flush()
    except (OSError, ValueError):  # CODI has gone
        os._exit(0)


def main() -> int:
    """The child: load, read the prompts' heads (giving way to the first call), answer until stdin closes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is CODI's to handle; it ends this process at exit
    answers = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)  # whatever prints to stdout from here goes to stderr, not into the answers
    from codi.llm import prompts
    from codi.llm.adapters import AdapterError
    from codi.llm.runtime import embedded

    try:
        load = json.loads(sys.stdin.readline(MAX_LINE))
        model = embedded(load.get("model"), load.get("adapter"))
    except (ValueError, AttributeError, ModelUnavailable, AdapterError) as exc:
        _send(answers, {"error": str(exc)})
        return 0
    _send(answers, {"ready": True, "model_id": model.model_id, "adapter_version": model.adapter_version,
                    "ruleset_version": model.adapter_ruleset})
    threading.Thread(target=model.warm, args=(prompts.fixed_heads(),), name="codi-model-warm", daemon=True).start()
    for line in sys.stdin:
        try:
            request = json.loads(line)
            gen = model.chat(request["messages"], request.get("schema"), int(request.get("max_tokens") or 128),
                             request.get("stop"), request.get("sentences"))
        except Exception as exc:  # noqa: BLE001 - told to the parent, which falls back to CODI's own words
            _send(answers, {"error": f"{type(exc).__name__}: {exc}"})
            continue
        _send(answers, {"generation": asdict(gen)})
    os._exit(0)  # stdin closed: CODI has finished; the model needs no tidy teardown


if __name__ == "__main__":
    sys.exit(main())
