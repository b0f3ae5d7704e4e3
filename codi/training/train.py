"""`codi train`: a LoRA adapter for the embedded SmolLM2, trained on the CPU from the same GGUF.

transformers dequantises the runtime's GGUF (Q4_1) to float32 and peft adds LoRA to its projections.
Each pair is rendered with the model's own chat template (the one llama.cpp applies at run time):
the prompt and the padding carry label -100, only the answer (and its ``<|im_end|>``) is learnt.
Pairs are packed whole into fixed-length blocks (position ids restart per pair). A checkpoint after
every ``save_every`` steps holds the adapter, optimizer, scheduler and position; ``--resume``
continues from it. The result is ``<out>/adapter/``: ``adapter_config.json``,
``adapter_model.safetensors``, ``codi-lora.gguf`` and ``metadata.json`` (``codi adapter verify``).

torch, transformers, peft and gguf are the ``train`` extra; they are imported here, lazily.
"""

from __future__ import annotations

import json
import math
import os
import random
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from codi.training.runs import (
    BASE_MODEL_ID,
    GGUF_NAME,
    Telemetry,
    base_gguf,
    load_pairs,
    write_adapter_metadata,
)

IGNORE = -100


@dataclass(frozen=True, slots=True)
class Preset:
    name: str
    rank: int
    alpha: int
    dropout: float
    target_modules: tuple[str, ...]
    seq_len: int
    batch_blocks: int  # packed blocks per optimizer micro-batch
    grad_accum: int
    lr: float
    epochs: int
    max_steps: int | None  # optimizer steps (None: the epochs decide)
    max_pairs: int | None  # train pairs used (None: all)
    warmup: int
    save_every: int
    # Rewrite pairs (whole Dockerfiles, up to 2000 tokens) cost more CPU than the rest together and do not
    # touch the explanations the adapter is judged on; the presets train rank and explain pairs.
    tasks: tuple[str, ...] = ("rank", "explain")
    seed: int = 1234


PRESETS = {
    # The test suite's run: a few optimizer steps, enough to exercise every stage on 2 cores.
    "tiny": Preset("tiny", rank=4, alpha=8, dropout=0.0, target_modules=("q_proj", "v_proj"), seq_len=384,
                   batch_blocks=2, grad_accum=1, lr=1e-3, epochs=4, max_steps=6, max_pairs=48, warmup=1,
                   save_every=3),
    # The documented real run (README "Training the local model").
    "small": Preset("small", rank=16, alpha=32, dropout=0.05,
                    target_modules=("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"),
                    seq_len=512, batch_blocks=4, grad_accum=2, lr=3e-4, epochs=2, max_steps=None, max_pairs=None,
                    warmup=5, save_every=10),
}


@dataclass(slots=True)
class Block:
    input_ids: list[int] = field(default_factory=list)
    labels: list[int] = field(default_factory=list)
    position_ids: list[int] = field(default_factory=list)


def encode_pair(tok: Any, messages: Sequence[dict[str, str]], seq_len: int) -> tuple[list[int], list[int]] | None:
    """(input ids, labels) of one pair; None when it does not fit in ``seq_len``."""
    if not messages or messages[-1]["role"] != "assistant":
        return None
    prompt = tok.apply_chat_template(list(messages[:-1]), tokenize=False, add_generation_prompt=True)
    p_ids = tok(prompt, add_special_tokens=False)["input_ids"]
    a_ids = tok(messages[-1]["content"].strip() + "<|im_end|>", add_special_tokens=False)["input_ids"]
    if len(p_ids) + len(a_ids) > seq_len:
        return None
    return p_ids + a_ids, [IGNORE] * len(p_ids) + a_ids


def pack(encoded: Sequence[tuple[list[int], list[int]]], seq_len: int) -> list[Block]:
    """Whole pairs, first fit in order, into blocks of at most ``seq_len`` tokens (padded at batch time)."""
    blocks: list[Block] = []
    current = Block()
    for ids, labels in encoded:
        if len(current.input_ids) + len(ids) > seq_len:
            blocks.append(current)
            current = Block()
        current.input_ids += ids
        current.labels += labels
        current.position_ids += list(range(len(ids)))
    if current.input_ids:
        blocks.append(current)
    return blocks


def collate(blocks: Sequence[Block], seq_len: int, pad_id: int) -> dict[str, Any]:
    import torch

    def padded(values: list[int], fill: int) -> list[int]:
        return values + [fill] * (seq_len - len(values))

    return {"input_ids": torch.tensor([padded(b.input_ids, pad_id) for b in blocks]),
            "labels": torch.tensor([padded(b.labels, IGNORE) for b in blocks]),
            "position_ids": torch.tensor([padded(b.position_ids, 0) for b in blocks]),
            "attention_mask": torch.tensor([[1] * len(b.input_ids) + [0] * (seq_len - len(b.input_ids))
                                            for b in blocks])}


def load_base(gguf: Path) -> tuple[Any, Any]:
    """(model, tokenizer) from the runtime's GGUF, dequantised to float32 by transformers."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    model = AutoModelForCausalLM.from_pretrained(str(gguf.parent), gguf_file=gguf.name, dtype="float32")
    return model, tok


def _batches(blocks: list[Block], size: int, seed: int, epoch: int) -> Iterator[list[Block]]:
    order = list(range(len(blocks)))
    random.Random(seed * 1000 + epoch).shuffle(order)
    for i in range(0, len(order), size):
        yield [blocks[j] for j in order[i:i + size]]


def _val_loss(model: Any, blocks: list[Block], preset: Preset, pad_id: int) -> float | None:
    import torch

    if not blocks:
        return None
    model.eval()
    total, count = 0.0, 0
    with torch.no_grad():
        for batch in _batches(blocks, preset.batch_blocks, preset.seed, 0):
            total += float(model(**collate(batch, preset.seq_len, pad_id)).loss) * len(batch)
            count += len(batch)
    model.train()
    return total / count


@dataclass(slots=True)
class TrainResult:
    adapter_dir: Path
    version: str
    steps: int
    seconds: float
    peak_rss_mb: float
    train_loss: float | None
    val_loss: float | None
    val_loss_before: float | None
    pairs: dict[str, int]
    skipped_long: int


def _peak_rss_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


def train(data_dir: Path, out: Path, preset: Preset, resume: bool = False, log: Any = print) -> TrainResult:
    """Train, checkpoint, and write ``<out>/adapter`` (see the module docstring)."""
    import torch
    from peft import LoraConfig, get_peft_model, set_peft_model_state_dict
    from peft.utils import get_peft_model_state_dict

    started = time.perf_counter()
    torch.manual_seed(preset.seed)
    random.seed(preset.seed)
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    gguf = base_gguf()
    pairs = load_pairs(data_dir)
    pairs = {k: [p for p in v if p.get("task") in preset.tasks] for k, v in pairs.items()}
    train_pairs = pairs["train"][: preset.max_pairs] if preset.max_pairs else pairs["train"]
    model, tok = load_base(gguf)
    pad_id = tok.pad_token_id if tok.pad_token_id is not None else tok.eos_token_id
    encoded = [encode_pair(tok, p["messages"], preset.seq_len) for p in train_pairs]
    kept = [e for e in encoded if e is not None]
    val_enc = [e for e in (encode_pair(tok, p["messages"], preset.seq_len) for p in pairs["val"][:64]) if e]
    blocks, val_blocks = pack(kept, preset.seq_len), pack(val_enc, preset.seq_len)
    if not blocks:
        raise ValueError(f"{data_dir}: no train pair fits in {preset.seq_len} tokens")
    per_epoch = math.ceil(math.ceil(len(blocks) / preset.batch_blocks) / preset.grad_accum)
    total = min(preset.max_steps or per_epoch * preset.epochs, per_epoch * preset.epochs)
    config = LoraConfig(r=preset.rank, lora_alpha=preset.alpha, lora_dropout=preset.dropout,
                        target_modules=list(preset.target_modules), task_type="CAUSAL_LM", bias="none")
    model = get_peft_model(model, config)
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=preset.lr, weight_decay=0.0)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, (s + 1) / max(1, preset.warmup))
                                              * max(0.0, 1 - s / max(1, total)))
    ckpt = out / "checkpoints" / "last"
    step = 0
    if resume and (ckpt / "state.pt").is_file():
        from safetensors.torch import load_file

        set_peft_model_state_dict(model, load_file(str(ckpt / "adapter_model.safetensors")))
        state = torch.load(ckpt / "state.pt", weights_only=False)
        opt.load_state_dict(state["optimizer"])
        sched.load_state_dict(state["scheduler"])
        torch.set_rng_state(state["rng"])
        step = int(state["step"])
        log(f"resumed from {ckpt} at step {step}/{total}")
    elif resume:
        log(f"--resume: no checkpoint under {ckpt}; starting at step 0")
    telemetry = Telemetry(out / "telemetry", f"train-{preset.name}-{time.strftime('%Y%m%dT%H%M%S')}",
                          preset.seed, gguf, data_dir)
    val_before = _val_loss(model, val_blocks, preset, pad_id) if step == 0 else None
    last_loss: float | None = None
    with telemetry as run:
        if val_before is not None:
            run.log(0, "val", "loss", val_before, "eval")
        model.train()
        micro = 0
        done = step * preset.grad_accum  # micro-batches already consumed (resume skips them)
        for epoch in range(preset.epochs):
            for batch in _batches(blocks, preset.batch_blocks, preset.seed, epoch):
                if step >= total:
                    break
                micro += 1
                if micro <= done:
                    continue
                loss = model(**collate(batch, preset.seq_len, pad_id)).loss / preset.grad_accum
                loss.backward()
                if micro % preset.grad_accum:
                    continue
                torch.nn.utils.clip_grad_norm_(params, 1.0)
                opt.step()
                sched.step()
                opt.zero_grad()
                step += 1
                last_loss = float(loss.detach()) * preset.grad_accum
                run.log(step, "train", "loss", last_loss, "train")
                run.log(step, "train", "lr", sched.get_last_lr()[0], "train")
                log(f"step {step}/{total} loss {last_loss:.4f}")
                if step % preset.save_every == 0 or step == total:
                    _checkpoint(ckpt, model, opt, sched, step)
        val_after = _val_loss(model, val_blocks, preset, pad_id)
        if val_after is not None:
            run.log(step, "val", "loss", val_after, "eval")
        adapter_dir = out / "adapter"
        state_dict = get_peft_model_state_dict(model)
        version = _export(adapter_dir, model, state_dict, preset, gguf, data_dir)
        seconds = time.perf_counter() - started
        run.log(step, "train", "wall_seconds", seconds, "train")
        run.log(step, "train", "peak_rss_mb", _peak_rss_mb(), "train")
    result = TrainResult(adapter_dir, version, step, round(seconds, 1), round(_peak_rss_mb(), 1), last_loss,
                         val_after, val_before, {k: len(v) for k, v in pairs.items()}, len(encoded) - len(kept))
    report = {k: (str(v) if isinstance(v, Path) else v) for k, v in asdict(result).items()}
    (out / "train_report.json").write_text(json.dumps({**report, "preset": asdict(preset)}, indent=2) + "\n")
    return result


def _checkpoint(ckpt: Path, model: Any, opt: Any, sched: Any, step: int) -> None:
    import torch
    from peft.utils import get_peft_model_state_dict
    from safetensors.torch import save_file

    tmp = ckpt.with_name("last.tmp")
    tmp.mkdir(parents=True, exist_ok=True)
    save_file({k: v.contiguous() for k, v in get_peft_model_state_dict(model).items()},
              str(tmp / "adapter_model.safetensors"))
    torch.save({"optimizer": opt.state_dict(), "scheduler": sched.state_dict(), "rng": torch.get_rng_state(),
                "step": step}, tmp / "state.pt")
    if ckpt.exists():
        import shutil

        shutil.rmtree(ckpt)
    tmp.rename(ckpt)


def _export(adapter_dir: Path, model: Any, state_dict: dict[str, Any], preset: Preset, gguf: Path,
            data_dir: Path) -> str:
    """adapter_config.json + adapter_model.safetensors (peft), the GGUF LoRA, then metadata.json."""
    import shutil

    from codi.training.gguf_lora import write_gguf_lora

    if adapter_dir.exists():
        shutil.rmtree(adapter_dir)
    model.save_pretrained(str(adapter_dir))
    (adapter_dir / "README.md").unlink(missing_ok=True)  # peft's model-card stub
    config = model.base_model.model.config
    write_gguf_lora(adapter_dir / GGUF_NAME, state_dict, preset.alpha, config.num_attention_heads,
                    config.num_key_value_heads, name=f"codi-{preset.name}", base_model=BASE_MODEL_ID)
    hyper = {k: (list(v) if isinstance(v, tuple) else v) for k, v in asdict(preset).items()}
    return write_adapter_metadata(adapter_dir, preset.name, gguf, data_dir, hyper)


def preset_named(name: str, **overrides: Any) -> Preset:
    if name not in PRESETS:
        raise ValueError(f"unknown preset {name!r} (choose from {', '.join(PRESETS)})")
    return replace(PRESETS[name], **{k: v for k, v in overrides.items() if v is not None})
