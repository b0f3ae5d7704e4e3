"""Token counts for the data card and the explain-length cap: the GGUF's own tokenizer when it loads.

``Llama(model_path, vocab_only=True)`` reads only the vocabulary (a fraction of a second), so the
counts are the runtime's. Without llama-cpp-python or the model, a character heuristic stands in
and the card says so.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

CHARS_PER_TOKEN = 3.5  # SmolLM2's BPE on Dockerfiles and English prose, measured on the corpus
CHAT_OVERHEAD = 5  # <|im_start|>role\n ... <|im_end|>\n around each message


class TokenCounter:
    def __init__(self, model: Path | None = None) -> None:
        self._llama: Any = None
        self.kind = "heuristic (chars / 3.5)"
        self.why = ""
        try:
            from llama_cpp import Llama  # type: ignore[import-not-found,unused-ignore]

            from codi.llm.runtime import find_model

            path = model or find_model()
            with open(os.devnull, "w") as sink, contextlib.redirect_stderr(sink):
                self._llama = Llama(model_path=str(path), vocab_only=True, verbose=False)
            self.kind = f"gguf:{path.name}"
        except Exception as exc:  # noqa: BLE001 - any failure to load means the heuristic, said in the card
            self.why = f"{type(exc).__name__}: {exc}"[:200]

    def count(self, text: str) -> int:
        if self._llama is not None:
            return len(self._llama.tokenize(text.encode("utf-8", "surrogateescape"), add_bos=False, special=False))
        return max(1, round(len(text) / CHARS_PER_TOKEN)) if text else 0

    def chat(self, messages: Sequence[dict[str, str]]) -> int:
        """Tokens of a chat in the ChatML layout SmolLM2 uses (contents plus a fixed frame per message)."""
        return sum(self.count(m["content"]) + CHAT_OVERHEAD for m in messages)
