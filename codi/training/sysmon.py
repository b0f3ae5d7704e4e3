"""The system sampler: every N seconds one row of CPU %, RAM, process RSS and load average.

``system.ndjson`` rows: ``{"ts", "run_id", "cpu_percent", "ram_used_bytes", "ram_total_bytes",
"ram_percent", "rss_bytes", "load_1m", "load_5m", "load_15m", "degraded"}`` plus, only with
``CODI_TELEMETRY_GPU=1`` and NVML importable, ``"gpu": [{"index", "util_percent", "mem_used_bytes",
"mem_total_bytes"}]``. psutil gives the figures; without it the standard library does (``os.getloadavg``,
``resource.getrusage``, ``/proc/meminfo``, ``/proc/stat``) and the row says ``"degraded": true``.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from pathlib import Path
from typing import Any

from codi.training.ndjson import NdjsonWriter

GPU_ENV = "CODI_TELEMETRY_GPU"


def _psutil() -> Any:
    try:
        import psutil  # type: ignore[import-untyped,unused-ignore]
    except ImportError:
        return None
    return psutil


def _meminfo() -> tuple[int | None, int | None]:
    """(total, available) bytes from /proc/meminfo, or Nones off Linux."""
    try:
        fields = dict(line.split(":", 1) for line in Path("/proc/meminfo").read_text().splitlines() if ":" in line)
        total = int(fields["MemTotal"].split()[0]) * 1024
        avail = int(fields.get("MemAvailable", fields["MemFree"]).split()[0]) * 1024
        return total, avail
    except (OSError, KeyError, ValueError):
        return None, None


def _cpu_times() -> tuple[int, int] | None:
    """(busy, total) jiffies from /proc/stat."""
    try:
        parts = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    except (OSError, ValueError, IndexError):
        return None
    idle = parts[3] + (parts[4] if len(parts) > 4 else 0)
    return sum(parts) - idle, sum(parts)


def _rss_fallback() -> int | None:
    try:
        import resource

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # kB on Linux, bytes on macOS: a peak
        return int(peak if sys.platform == "darwin" else peak * 1024)
    except (ImportError, OSError):
        return None


def _gpu() -> tuple[list[dict[str, Any]] | None, str]:
    if os.environ.get(GPU_ENV, "") != "1":
        return None, f"gpu off ({GPU_ENV}=1 turns it on)"
    try:
        import pynvml  # type: ignore[import-not-found,unused-ignore]

        pynvml.nvmlInit()
        out = []
        for i in range(pynvml.nvmlDeviceGetCount()):
            handle = pynvml.nvmlDeviceGetHandleByIndex(i)
            mem, util = pynvml.nvmlDeviceGetMemoryInfo(handle), pynvml.nvmlDeviceGetUtilizationRates(handle)
            out.append({"index": i, "util_percent": float(util.gpu), "mem_used_bytes": int(mem.used),
                        "mem_total_bytes": int(mem.total)})
        return out, "gpu via NVML"
    except Exception as exc:  # noqa: BLE001 - no NVML, no driver, no GPU: the row goes without
        return None, f"gpu unavailable ({type(exc).__name__}: {exc})"[:160]


class SystemSampler(threading.Thread):
    def __init__(self, path: Path, run_id: str, every: float = 10.0) -> None:
        super().__init__(name="codi-system-sampler", daemon=True)

        self.path, self.run_id, self.every = path, run_id, max(0.05, every)
        self.writer = NdjsonWriter(path)
        self._stop_event = threading.Event()
        self._psutil = _psutil()
        self._process = self._psutil.Process() if self._psutil else None
        self._last_cpu = _cpu_times()
        self.samples = 0
        self.gpu_note = _gpu()[1] if os.environ.get(GPU_ENV, "") == "1" else f"gpu off ({GPU_ENV}=1 turns it on)"
        how = "psutil" if self._psutil else "degraded: psutil missing, standard library figures"
        self.status = f"telemetry: system sampler enabled every {self.every:g}s ({how}; {self.gpu_note}) -> {path}"
        if self._psutil:
            self._psutil.cpu_percent(None)  # primes the counter: the first sample is then since start

    def sample(self) -> dict[str, Any]:
        row: dict[str, Any] = {"ts": round(time.time(), 3), "run_id": self.run_id}
        try:
            load = os.getloadavg()
        except OSError:
            load = (None, None, None)  # type: ignore[assignment]
        if self._psutil is not None and self._process is not None:
            mem = self._psutil.virtual_memory()
            row.update(cpu_percent=float(self._psutil.cpu_percent(None)), ram_used_bytes=int(mem.total - mem.available),
                       ram_total_bytes=int(mem.total), ram_percent=float(mem.percent),
                       rss_bytes=int(self._process.memory_info().rss), degraded=False)
        else:
            total, avail = _meminfo()
            now = _cpu_times()
            cpu = None
            if now and self._last_cpu and now[1] > self._last_cpu[1]:
                cpu = round(100.0 * (now[0] - self._last_cpu[0]) / (now[1] - self._last_cpu[1]), 1)
            self._last_cpu = now
            used = None if total is None or avail is None else total - avail
            row.update(cpu_percent=cpu, ram_used_bytes=used, ram_total_bytes=total,
                       ram_percent=None if used is None or not total else round(100.0 * used / total, 1),
                       rss_bytes=_rss_fallback(), degraded=True)
        row.update(load_1m=load[0], load_5m=load[1], load_15m=load[2])
        gpu, _ = _gpu()
        if gpu is not None:
            row["gpu"] = gpu
        return row

    def _write_one(self) -> None:
        try:
            self.writer.write(self.sample())
            self.samples += 1
        except Exception as exc:  # noqa: BLE001 - a failed sample is noted, never fatal to training
            sys.stderr.write(f"telemetry: system sample failed: {type(exc).__name__}: {exc}\n")

    def run(self) -> None:
        self._write_one()
        while not self._stop_event.wait(self.every):
            self._write_one()
        self._write_one()  # the state at the end of the run

    def stop(self, timeout: float = 5.0) -> None:
        """Take a last sample on the way out, then close the file."""
        self._stop_event.set()
        if self.is_alive():
            self.join(timeout)
        self.writer.close()
