"""Put a promoted adapter into the package (``codi/llm/adapter/``), where the runtime finds it by default.

The shipped folder is what ``codi adapter verify`` checks, made smaller and self-describing:
- the weights in float16 (``adapter_model.safetensors`` and the GGUF LoRA ``codi-lora.gguf``), half the
  size of the float32 training output and as good for llama.cpp;
- the evidence: ``run_manifest.json`` (what the training ran on), ``DATA_CARD.md`` + ``data_card.json``
  (the pairs it learnt from), ``train_report.json`` and ``eval.json`` (base against adapter, the report
  ``codi adapter promote`` accepted);
- ``SHA256SUMS`` (``sha256sum -c`` format) and ``metadata.json``, whose checksums list every other file:
  the runtime verifies them each time it loads the adapter.

Only a promoted adapter ships: the eval report must be the one ``codi.training.promote.decide`` accepts.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

from codi.llm.adapters import sha256_file, verify_adapter
from codi.training.promote import PromotionRefused, earned

SHIPPED = Path(__file__).resolve().parents[1] / "llm" / "adapter"
EVIDENCE = {"telemetry/run_manifest.json": "run_manifest.json", "train_report.json": "train_report.json"}
DATA_CARD = ("DATA_CARD.md", "data_card.json")


def _half_weights(src: Path, dest: Path, meta: dict[str, Any]) -> None:
    """adapter_model.safetensors and the GGUF LoRA again, in float16."""
    from safetensors.torch import load_file, save_file

    from codi.training.gguf_lora import write_gguf_lora

    state = {k: v.half().contiguous() for k, v in load_file(str(src / "adapter_model.safetensors")).items()}
    save_file(state, str(dest / "adapter_model.safetensors"), metadata={"format": "pt"})
    config = json.loads((src / "adapter_config.json").read_text(encoding="utf-8"))
    hyper = meta.get("hyperparameters") or {}
    gguf_name = str(meta.get("gguf") or "codi-lora.gguf")
    heads = _heads()
    write_gguf_lora(dest / gguf_name, state, float(config.get("lora_alpha") or hyper.get("alpha")), heads[0],
                    heads[1], name=f"codi-{meta.get('preset', 'lora')}", base_model=str(meta.get("base_model")),
                    dtype="float16")


def _heads() -> tuple[int, int]:
    """(n_head, n_head_kv) of the base model, from its GGUF (the q/k rows of lora_b are permuted by them)."""
    import gguf

    from codi.training.runs import base_gguf

    fields = gguf.GGUFReader(str(base_gguf())).fields
    return (int(fields["llama.attention.head_count"].contents()),
            int(fields["llama.attention.head_count_kv"].contents()))


def ship(adapter_dir: Path, run_dir: Path, eval_report: Path, data_dir: Path, dest: Path = SHIPPED) -> dict[str, Any]:
    """Copy a promoted adapter into ``dest`` (replaced atomically); return its metadata."""
    _checked, report = earned(adapter_dir, eval_report)
    meta: dict[str, Any] = json.loads((adapter_dir / "metadata.json").read_text(encoding="utf-8"))
    dest.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".adapter-", dir=dest.parent))
    try:
        shutil.copy2(adapter_dir / "adapter_config.json", staging / "adapter_config.json")
        _half_weights(adapter_dir, staging, meta)
        for rel, name in EVIDENCE.items():
            if (run_dir / rel).is_file():
                shutil.copy2(run_dir / rel, staging / name)
        for name in DATA_CARD:
            if (data_dir / name).is_file():
                shutil.copy2(data_dir / name, staging / name)
        shutil.copy2(eval_report, staging / "eval.json")
        files = sorted(p.name for p in staging.iterdir() if p.is_file())
        sums = "".join(f"{sha256_file(staging / name)}  {name}\n" for name in files)
        (staging / "SHA256SUMS").write_text(sums, encoding="utf-8")
        meta["dataset"] = {**(meta.get("dataset") or {}), "path": None}  # a build machine's folder means nothing
        meta["weights_dtype"] = "float16"
        meta["promoted"] = {"eval": "eval.json", "acceptance": report.get("acceptance")}
        meta["checksums"] = {name: sha256_file(staging / name) for name in [*files, "SHA256SUMS"]}
        (staging / "metadata.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
        shipped = verify_adapter(staging)
        if not shipped.ok:
            raise PromotionRefused([f"the shipped copy does not verify: {p}" for p in shipped.problems])
        old = dest.with_name(dest.name + ".old")
        if dest.exists():
            dest.rename(old)
        staging.rename(dest)
        shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return meta


def main(argv: list[str] | None = None) -> int:
    """``python -m codi.training.ship RUN_DIR`` (``make adapter``): RUN_DIR is ``codi train --out``, holding
    ``adapter/``, ``data/``, ``telemetry/`` and the ``eval.json`` that ``codi eval --json`` wrote."""
    import sys

    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        sys.stderr.write("usage: python -m codi.training.ship RUN_DIR\n")
        return 2
    run = Path(args[0])
    try:
        meta = ship(run / "adapter", run, run / "eval.json", run / "data")
    except PromotionRefused as exc:
        sys.stderr.write("codi: error: not shipped: " + "; ".join(exc.reasons) + "\n")
        return 1
    except (OSError, ValueError, KeyError) as exc:
        sys.stderr.write(f"codi: error: not shipped: {exc}\n")
        return 2
    sys.stdout.write(f"shipped adapter {meta['version']} in {SHIPPED}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
