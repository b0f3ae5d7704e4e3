"""The run directory: collision-free ids, staged creation, atomic JSON and event log writes.

A run is built in a hidden sibling folder and renamed into place when complete, so a reader
never sees a half-written run: the final name is reserved first (mkdir is atomic), which also
keeps concurrent runs of one project from colliding.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
import time
import unicodedata
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from codi.artifacts.eventlog import EventLog
from codi.atomic import atomic_write_text
from codi.telemetry.redact import redact_data, redact_text

RUN_ID_RE = re.compile(r"^\d{8}T\d{6}Z-[a-z0-9-]+$")
LAYOUT = ("inputs", "candidates", "metadata", "logs", "reports")


def slug(text: str, fallback: str = "project") -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    value = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return value[:40].strip("-") or fallback


def utc_now() -> datetime:
    return datetime.now(UTC)


def iso(ts: datetime) -> str:
    return ts.strftime("%Y-%m-%dT%H:%M:%SZ")


def reserve_run_dir(out: Path, stack: str, project_name: str, now: datetime | None = None) -> tuple[str, Path]:
    """Create ``<out>/<run_id>`` (empty) under a fresh id and return (run_id, path)."""
    stamp = (now or utc_now()).strftime("%Y%m%dT%H%M%SZ")
    base = f"{stamp}-{slug(stack, 'unknown')}-{slug(project_name)}"
    out.mkdir(parents=True, exist_ok=True)
    for n in range(1, 10_000):
        run_id = base if n == 1 else f"{base}-{n}"
        try:
            (out / run_id).mkdir()
        except FileExistsError:
            continue
        return run_id, out / run_id
    raise RuntimeError(f"could not find a free run id under {out}")


class RunWriter:
    """Writes one run into a staging folder; ``commit()`` moves it into place."""

    def __init__(self, out: Path, run_id: str, redact: bool = True) -> None:
        self.redact = redact  # codi.telemetry.redact on what describes the run (off only for --no-redact)
        self.final = out / run_id
        self.run_id = run_id
        self.root = Path(tempfile.mkdtemp(prefix=f".{run_id}.", suffix=".partial", dir=out))
        for part in LAYOUT:
            (self.root / part).mkdir()
        self._events = EventLog(self.root / "logs" / "events.jsonl")  # capped; committed with the run
        self.written: list[str] = []

    def event(self, name: str, **fields: Any) -> None:
        record = {"ts": iso(utc_now()), "t": round(time.monotonic(), 3), "event": name, **fields}
        record = redact_data(json.loads(json.dumps(record, default=str))) if self.redact else record  # type: ignore[assignment]
        self._events.write(record)

    def write_text(self, rel: str, text: str) -> str:
        """A file that describes the run (a report, a log): redacted unless ``--no-redact``."""
        return self._write(rel, redact_text(text) if self.redact else text)

    def write_user_file(self, rel: str, text: str) -> str:
        """The user's own text (``inputs/``, ``candidates/``): byte for byte, never redacted, so that a
        candidate can be adopted as it is (a redacted password or GPG key id would break its build)."""
        return self._write(rel, text)

    def _write(self, rel: str, text: str) -> str:
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(path, text)
        self.written.append(rel)
        return rel

    def write_json(self, rel: str, model: BaseModel | dict[str, Any]) -> str:
        data = model.model_dump(mode="json") if isinstance(model, BaseModel) else model
        data = redact_data(data) if self.redact else data  # type: ignore[assignment]
        return self.write_text(rel, json.dumps(data, indent=2, ensure_ascii=False) + "\n")

    def commit(self) -> Path:
        self._events.close()
        os.replace(self.root, self.final)  # replaces the empty reserved folder
        return self.final

    def abort(self) -> None:
        self._events.close()
        shutil.rmtree(self.root, ignore_errors=True)
        try:
            self.final.rmdir()
        except OSError:
            pass


def write_json_file(path: Path, model: BaseModel | dict[str, Any]) -> None:
    data = model.model_dump(mode="json") if isinstance(model, BaseModel) else model
    atomic_write_text(path, json.dumps(data, indent=2, ensure_ascii=False) + "\n")
