"""Append-only NDJSON files of the training telemetry (one JSON object a line, rotated by size)."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any, TextIO

ROTATE_BYTES = 16 * 1024 * 1024
KEEP_ROTATED = 5


class NdjsonWriter:
    """Append-only NDJSON with size rotation: ``name`` -> ``name.1`` -> ... -> ``name.<keep>`` (dropped)."""

    def __init__(self, path: Path, max_bytes: int = ROTATE_BYTES, keep: int = KEEP_ROTATED) -> None:
        self.path, self.max_bytes, self.keep = path, max_bytes, keep
        self._lock = threading.Lock()
        path.parent.mkdir(parents=True, exist_ok=True)
        self._fh: TextIO | None = path.open("a", encoding="utf-8")

    def write(self, row: dict[str, Any]) -> None:
        line = json.dumps(row, ensure_ascii=False) + "\n"
        with self._lock:
            if self._fh is None:
                raise ValueError(f"{self.path.name}: writer is closed")
            if self._fh.tell() and self._fh.tell() + len(line.encode("utf-8")) > self.max_bytes:
                self._rotate()
            self._fh.write(line)
            self._fh.flush()

    def _rotate(self) -> None:
        assert self._fh is not None
        self._fh.close()
        for i in range(self.keep, 0, -1):
            older = self.path.with_name(f"{self.path.name}.{i}")
            if i == self.keep:
                older.unlink(missing_ok=True)
            elif older.exists():
                older.rename(self.path.with_name(f"{self.path.name}.{i + 1}"))
        self.path.rename(self.path.with_name(f"{self.path.name}.1"))
        self._fh = self.path.open("a", encoding="utf-8")

    def close(self) -> None:
        with self._lock:
            if self._fh is not None:
                self._fh.close()
                self._fh = None
