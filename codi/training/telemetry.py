"""Training telemetry the way ML teams keep it: NDJSON metrics, an optional TensorBoard mirror, a
system sampler and a run manifest, all local files (no network writer exists).

    with TelemetryRun(out_dir, run_id, seed, base_model, dataset_hashes) as run:
        run.log(step, "train", "loss", 1.23, "train")

``metrics.ndjson`` rows, keys in this order: ``{"ts", "run_id", "step", "split", "name", "value",
"tags": {"phase": "train"|"eval"}}``; the file rotates by size (``metrics.ndjson.1``, ``.2``, ...).
``system.ndjson`` and ``run_manifest.json``: see ``codi.training.sysmon`` and ``codi.training.manifest``.
"""

from __future__ import annotations

import math
import sys
import time
from pathlib import Path
from types import TracebackType
from typing import Any

from codi.training.manifest import finish_manifest, start_manifest
from codi.training.ndjson import KEEP_ROTATED as KEEP_ROTATED
from codi.training.ndjson import ROTATE_BYTES as ROTATE_BYTES
from codi.training.ndjson import NdjsonWriter
from codi.training.sysmon import SystemSampler

PHASES = ("train", "eval")


def _say(line: str) -> None:
    sys.stderr.write(line + "\n")




def metric_row(run_id: str, step: int, split: str, name: str, value: float, phase: str,
               ts: float | None = None) -> dict[str, Any]:
    """One metrics row, keys in the fixed order."""
    if phase not in PHASES:
        raise ValueError(f"phase must be one of {PHASES}, not {phase!r}")
    number = float(value)
    return {"ts": round(time.time() if ts is None else ts, 3), "run_id": run_id, "step": int(step), "split": split,
            "name": name, "value": number if math.isfinite(number) else None,  # NaN is not JSON: null
            "tags": {"phase": phase}}


class TensorBoardWriter:
    """Mirror of the metrics as TensorBoard scalars (``<split>/<name>``) when a writer is installed."""

    def __init__(self, log_dir: Path) -> None:
        self._writer: Any = None
        self.status = ""
        try:
            from torch.utils.tensorboard import SummaryWriter  # type: ignore[import-not-found,unused-ignore]

            source = "torch.utils.tensorboard"
        except Exception:  # noqa: BLE001 - torch absent, or present without the tensorboard package
            try:
                from tensorboardX import SummaryWriter  # type: ignore[import-not-found,no-redef,unused-ignore]

                source = "tensorboardX"
            except Exception as exc:  # noqa: BLE001
                self.status = f"telemetry: tensorboard writer disabled ({type(exc).__name__}: neither " \
                              "torch.utils.tensorboard nor tensorboardX can be imported)"
                return
        try:
            self._writer = SummaryWriter(log_dir=str(log_dir))
            self.status = f"telemetry: tensorboard writer enabled ({source}, {log_dir})"
        except Exception as exc:  # noqa: BLE001 - an optional writer never ends a run
            self.status = f"telemetry: tensorboard writer disabled ({type(exc).__name__}: {exc})"

    @property
    def enabled(self) -> bool:
        return self._writer is not None

    def log(self, step: int, split: str, name: str, value: float) -> None:
        if self._writer is not None:
            self._writer.add_scalar(f"{split}/{name}", value, step)

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None


class TelemetryRun:
    """Metrics, the optional TensorBoard mirror, the system sampler and the manifest of one training run."""

    def __init__(self, out_dir: Path | str, run_id: str, seed: int, base_model: Any,
                 dataset_hashes: dict[str, str] | None = None, sample_every: float = 10.0,
                 tensorboard: bool = True, max_bytes: int = ROTATE_BYTES) -> None:
        self.out_dir = Path(out_dir)
        self.run_id, self.seed, self.base_model = run_id, seed, base_model
        self.dataset_hashes = dict(dataset_hashes or {})
        self.sample_every, self.tensorboard, self.max_bytes = sample_every, tensorboard, max_bytes
        self.metrics: NdjsonWriter | None = None
        self.board: TensorBoardWriter | None = None
        self.sampler: SystemSampler | None = None
        self.statuses: list[str] = []

    def __enter__(self) -> TelemetryRun:
        self.out_dir.mkdir(parents=True, exist_ok=True)
        start_manifest(self.out_dir / "run_manifest.json", self.run_id, self.seed, self.base_model,
                       self.dataset_hashes)
        self.metrics = NdjsonWriter(self.out_dir / "metrics.ndjson", self.max_bytes)
        self.statuses.append(f"telemetry: ndjson writer enabled ({self.metrics.path})")
        if self.tensorboard:
            self.board = TensorBoardWriter(self.out_dir / "tensorboard")
            self.statuses.append(self.board.status)
        else:
            self.statuses.append("telemetry: tensorboard writer disabled (turned off by the caller)")
        self.sampler = SystemSampler(self.out_dir / "system.ndjson", self.run_id, self.sample_every)
        self.sampler.start()
        self.statuses.append(self.sampler.status)
        for line in self.statuses:
            _say(line)
        return self

    def log(self, step: int, split: str, name: str, value: float, phase: str = "train") -> None:
        row = metric_row(self.run_id, step, split, name, value, phase)
        if self.metrics is None:
            raise ValueError("TelemetryRun.log outside its `with` block")
        self.metrics.write(row)
        if self.board is not None and row["value"] is not None:
            self.board.log(step, split, name, row["value"])

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self.sampler is not None:
            self.sampler.stop()
        for writer in (self.metrics, self.board):
            if writer is not None:
                writer.close()
        if kind is None:
            status: dict[str, Any] = {"status": "ok", "code": 0}
        elif issubclass(kind, SystemExit):
            code = exc.code if isinstance(exc, SystemExit) else None
            status = {"status": "ok" if code in (0, None) else "failed", "code": code if isinstance(code, int) else 1}
        elif issubclass(kind, KeyboardInterrupt):
            status = {"status": "interrupted", "code": 130}
        else:
            status = {"status": "failed", "code": 1, "error": f"{kind.__name__}: {exc}"[:500]}
        finish_manifest(self.out_dir / "run_manifest.json", status,
                        self.sampler.samples if self.sampler is not None else 0)
