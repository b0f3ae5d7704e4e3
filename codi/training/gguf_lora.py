"""A peft LoRA adapter as a GGUF LoRA that llama.cpp (and so ``codi.llm.runtime``) loads.

The file is what llama.cpp's ``convert_lora_to_gguf.py`` writes: ``general.type = adapter``,
``adapter.type = lora``, ``adapter.lora.alpha``, and per adapted weight two tensors named like the
base GGUF's (``blk.N.attn_q.weight.lora_a`` shaped rank x in, ``...lora_b`` shaped out x rank).

One detail decides whether the adapter helps or scrambles the model: llama.cpp's converter permutes
the rows of the q and k projections of llama models (rotary embedding layout), and transformers
undoes that permutation when it loads a GGUF. The adapter was trained on the un-permuted weights, so
``lora_b`` of ``q_proj``/``k_proj`` (whose rows are the output rows of ``B @ A``) gets the same
permutation here; ``lora_a`` keeps its layout.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

# Hugging Face llama module names -> the base GGUF's tensor names.
GGUF_NAMES = {"self_attn.q_proj": "attn_q", "self_attn.k_proj": "attn_k", "self_attn.v_proj": "attn_v",
              "self_attn.o_proj": "attn_output", "mlp.gate_proj": "ffn_gate", "mlp.up_proj": "ffn_up",
              "mlp.down_proj": "ffn_down"}
_PEFT_KEY = re.compile(r"(?:^|\.)layers\.(\d+)\.(self_attn\.[qkvo]_proj|mlp\.(?:gate|up|down)_proj)\.lora_([AB])\.weight$")


def permute_rows(weight: Any, n_head: int) -> Any:
    """llama.cpp's ``LlamaModel.permute`` on the rows (output dim) of a 2-D numpy array."""
    rows = weight.shape[0]
    return (weight.reshape(n_head, 2, rows // n_head // 2, *weight.shape[1:])
            .swapaxes(1, 2).reshape(weight.shape))


def gguf_tensor_name(peft_key: str) -> str | None:
    """``base_model.model.model.layers.3.self_attn.q_proj.lora_A.weight`` -> ``blk.3.attn_q.weight.lora_a``."""
    m = _PEFT_KEY.search(peft_key)
    if m is None:
        return None
    layer, module, side = m.groups()
    return f"blk.{layer}.{GGUF_NAMES[module]}.weight.lora_{side.lower()}"


def lora_tensors(state: Mapping[str, Any], n_head: int, n_head_kv: int, dtype: str = "float32") -> dict[str, Any]:
    """GGUF tensor name -> numpy array (float32, or ``dtype``), q/k ``lora_b`` permuted like the base weights."""
    import numpy as np

    out: dict[str, Any] = {}
    for key, tensor in state.items():
        name = gguf_tensor_name(key)
        if name is None:
            raise ValueError(f"{key}: not a LoRA weight of a llama attention/MLP projection")
        array = np.ascontiguousarray(tensor.detach().float().cpu().numpy() if hasattr(tensor, "detach")
                                     else np.asarray(tensor, dtype=np.float32))
        if name.endswith("attn_q.weight.lora_b"):
            array = permute_rows(array, n_head)
        elif name.endswith("attn_k.weight.lora_b"):
            array = permute_rows(array, n_head_kv)
        out[name] = np.ascontiguousarray(array, dtype=np.dtype(dtype))
    return dict(sorted(out.items(), key=lambda kv: _order(kv[0])))


def _order(name: str) -> tuple[int, str]:
    return int(name.split(".")[1]), name


def write_gguf_lora(path: Path, state: Mapping[str, Any], alpha: float, n_head: int, n_head_kv: int,
                    name: str = "codi-lora", base_model: str | None = None, dtype: str = "float32") -> int:
    """Write the GGUF LoRA (float32, or float16 for the shipped copy); return the number of tensors written."""
    import gguf

    tensors = lora_tensors(state, n_head, n_head_kv, dtype)
    writer = gguf.GGUFWriter(str(path), arch="llama")
    writer.add_string(gguf.Keys.General.TYPE, gguf.GGUFType.ADAPTER)
    writer.add_string(gguf.Keys.General.NAME, name)
    if base_model:
        writer.add_string("general.base_model.0.name", base_model)
    writer.add_string(gguf.Keys.Adapter.TYPE, "lora")
    writer.add_float32(gguf.Keys.Adapter.LORA_ALPHA, float(alpha))
    for tensor_name, array in tensors.items():
        writer.add_tensor(tensor_name, array)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return len(tensors)


def read_gguf_lora(path: Path) -> dict[str, Any]:
    """The adapter's key/values and tensor shapes (for checks and tests)."""
    import gguf

    reader = gguf.GGUFReader(str(path))
    fields: dict[str, Any] = {}
    for key, field in reader.fields.items():
        if key.startswith("GGUF."):
            continue
        fields[key] = field.contents()
    shapes = {t.name: tuple(int(x) for x in reversed(t.shape.tolist())) for t in reader.tensors}
    return {"fields": fields, "shapes": shapes}
