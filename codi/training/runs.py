"""What a training run reads and writes besides the weights: the base GGUF, the pairs, telemetry, metadata.

Pairs are the data builder's (``codi data build``): ``train.jsonl``, ``val.jsonl``, ``test.jsonl``
with ``{"id", "task", "messages", "source", "stack", "licence", "split"}`` per line, and
``splits.json``. Telemetry goes through ``codi.training.telemetry.TelemetryRun`` when it is
installed; otherwise a minimal NDJSON writer with the same rows stands in and says so.
"""

from __future__ import annotations

import hashlib
import json
import platform
import sys
import time
from pathlib import Path
from types import TracebackType
from typing import Any

BASE_MODEL_ID = "HuggingFaceTB/SmolLM2-135M-Instruct"
GGUF_NAME = "codi-lora.gguf"
SPLITS = ("train", "val", "test")


def base_gguf() -> Path:
    """The runtime's GGUF (``codi.llm.runtime.find_model``): the adapter is trained on these weights."""
    from codi.llm.runtime import find_model

    return find_model()


def load_pairs(data_dir: Path) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for split in SPLITS:
        path = data_dir / f"{split}.jsonl"
        rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()] \
            if path.is_file() else []
        out[split] = rows
    if not out["train"]:
        raise ValueError(f"{data_dir}: no train.jsonl pairs (build them with `codi data build`)")
    return out


def sha256_text(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def dataset_hashes(data_dir: Path) -> dict[str, str]:
    """sha256 per split file (and of splits.json when present)."""
    names = [f"{s}.jsonl" for s in SPLITS] + ["splits.json"]
    return {name: sha256_text(data_dir / name) for name in names if (data_dir / name).is_file()}


def ruleset_version() -> str:
    from codi.optimise.catalog import load_catalog

    return str(load_catalog(None).ruleset_version)


def write_adapter_metadata(adapter_dir: Path, preset: str, gguf: Path, data_dir: Path,
                           hyper: dict[str, Any]) -> str:
    """metadata.json (the fields ``codi adapter verify`` requires, and what the run was made of)."""
    from codi.llm.adapters import sha256_file

    checksums = {p.relative_to(adapter_dir).as_posix(): sha256_file(p)
                 for p in sorted(adapter_dir.rglob("*")) if p.is_file() and p.name != "metadata.json"}
    weights = checksums.get("adapter_model.safetensors", "")[:8]
    version = f"{time.strftime('%Y.%m.%d', time.gmtime())}-{preset}-{weights}"
    splits_file = data_dir / "splits.json"
    meta = {"version": version, "base_model": BASE_MODEL_ID, "base_model_file": gguf.name,
            "base_model_sha256": sha256_file(gguf), "ruleset_version": ruleset_version(),
            "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "preset": preset,
            "dataset": {"path": str(data_dir), "hashes": dataset_hashes(data_dir),
                        "splits": json.loads(splits_file.read_text()) if splits_file.is_file() else None},
            "hyperparameters": hyper, "gguf": GGUF_NAME, "checksums": checksums}
    (adapter_dir / "metadata.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    return version


class Telemetry:
    """``TelemetryRun`` when the telemetry module exists, else metrics.ndjson + run_manifest.json here."""

    def __init__(self, out_dir: Path, run_id: str, seed: int, base_model: Path, data_dir: Path) -> None:
        self.out_dir, self.run_id, self.seed = out_dir, run_id, seed
        self.base = {"id": BASE_MODEL_ID, "file": base_model.name}
        self.hashes = dataset_hashes(data_dir)
        self._inner: Any = None
        self._fh: Any = None
        self.status = ""

    def __enter__(self) -> Telemetry:
        self.out_dir.mkdir(parents=True, exist_ok=True)
        try:
            from codi.training.telemetry import TelemetryRun  # type: ignore[import-not-found,unused-ignore]
        except ImportError as exc:
            self.status = f"telemetry: codi.training.telemetry absent ({exc}); minimal NDJSON writer"
            self._fh = (self.out_dir / "metrics.ndjson").open("a", encoding="utf-8")
            self._manifest("running")
        else:
            self._inner = TelemetryRun(self.out_dir, self.run_id, self.seed, self.base, self.hashes)
            self._inner.__enter__()
            self.status = "telemetry: codi.training.telemetry.TelemetryRun"
        return self

    def log(self, step: int, split: str, name: str, value: float, phase: str) -> None:
        if self._inner is not None:
            self._inner.log(step, split, name, value, phase)
            return
        row = {"ts": time.time(), "run_id": self.run_id, "step": step, "split": split, "name": name,
               "value": value, "tags": {"phase": phase}}
        self._fh.write(json.dumps(row) + "\n")
        self._fh.flush()

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self._inner is not None:
            self._inner.__exit__(kind, exc, tb)
            return
        self._fh.close()
        self._manifest("ok" if kind is None else f"failed: {kind.__name__}")

    def _manifest(self, status: str) -> None:
        manifest = {"run_id": self.run_id, "python": sys.version.split()[0], "platform": platform.platform(),
                    "seed": self.seed, "base_model": self.base, "dataset_hashes": self.hashes,
                    "exit_status": status}
        (self.out_dir / "run_manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
