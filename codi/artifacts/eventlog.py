"""A run's ``logs/events.jsonl``: one JSON object a line, capped in size, ended by a "truncated" event.

The log lives in the run's staging folder and reaches ``<out>/<run_id>/`` only with the whole run
(one rename), so readers never see it half-written. Past ``cap`` bytes it stops growing: one final
``{"event": "truncated", ...}`` line says so, and later events are counted, not written.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

DEFAULT_CAP = 1 << 20  # 1 MiB
_MARKER_ROOM = 256  # bytes kept free for the "truncated" line


class EventLog:
    def __init__(self, path: Path, cap: int = DEFAULT_CAP) -> None:
        self.path = path
        self.cap = cap
        self.size = path.stat().st_size if path.exists() else 0
        self.dropped = 0
        self.truncated = False
        self._handle = path.open("a", encoding="utf-8")

    def write(self, record: dict[str, Any]) -> bool:
        """Append one record; False when the cap had been reached (the record is dropped)."""
        if self.truncated:
            self.dropped += 1
            return False
        line = json.dumps(record, default=str) + "\n"
        size = len(line.encode("utf-8"))
        if self.size + size > self.cap - _MARKER_ROOM:
            self.truncated, self.dropped = True, 1
            marker = {"ts": record.get("ts"), "t": round(time.monotonic(), 3), "event": "truncated",
                      "limit_bytes": self.cap, "first_dropped": str(record.get("event"))[:64]}
            self._emit(json.dumps(marker) + "\n")
            return False
        self._emit(line)
        return True

    def _emit(self, line: str) -> None:
        self._handle.write(line)
        self._handle.flush()
        self.size += len(line.encode("utf-8"))

    def close(self) -> None:
        self._handle.close()
