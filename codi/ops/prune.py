"""`codi runs prune`: remove old run dirs and their run-memory rows together, or neither.

The run dirs are first renamed into a hidden trash folder under the output root; then the rows go in
one transaction of the run memory (the SQLite file, or the Postgres at ``CODI_DB_URL``). Only when
that commits is the trash deleted; any failure renames the dirs back into place and leaves the rows.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from codi.artifacts.rundir import utc_now
from codi.ops.backup_layout import BackupError
from codi.rag.index import memory_location, open_existing
from codi.rag.index_protocol import MemoryIndex, RunMemoryError
from codi.rag.memory import run_dirs


@dataclass(slots=True)
class PruneResult:
    removed: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    rows_deleted: int = 0
    dry_run: bool = False


def run_time(run_dir: Path) -> datetime:
    """When a run was made: its id's UTC stamp, else run.json's created_at, else the folder's mtime."""
    try:
        return datetime.strptime(run_dir.name[:16], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    except ValueError:
        pass
    try:
        created = json.loads((run_dir / "metadata" / "run.json").read_text(encoding="utf-8")).get("created_at")
        return datetime.strptime(str(created), "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    except (OSError, ValueError, AttributeError):
        return datetime.fromtimestamp(run_dir.stat().st_mtime, UTC)


def plan(out: Path, keep: int | None, keep_days: float | None, now: datetime | None = None) -> tuple[list[Path], list[Path]]:
    """(to remove, to keep): a run stays when it is among the ``keep`` newest or younger than ``keep_days``."""
    now = now or utc_now()
    runs = sorted((d for d in run_dirs(out) if not d.name.startswith(".")), key=lambda d: (run_time(d), d.name),
                  reverse=True)
    remove: list[Path] = []
    kept: list[Path] = []
    for rank, run in enumerate(runs):
        recent = keep is not None and rank < keep
        young = keep_days is not None and now - run_time(run) <= timedelta(days=keep_days)
        (kept if recent or young else remove).append(run)
    return remove, kept


def _memory(out: Path) -> MemoryIndex | None:
    """The run memory, or None when there is none yet (pruning does not create one)."""
    try:
        return open_existing(out)
    except RunMemoryError as exc:  # before anything moved: all or nothing
        raise BackupError(f"{memory_location(out)}: {exc}; nothing pruned") from None


def prune_runs(out: Path, keep: int | None = None, keep_days: float | None = None, now: datetime | None = None,
               dry_run: bool = False) -> PruneResult:
    remove, kept = plan(out, keep, keep_days, now)
    result = PruneResult([d.name for d in remove], [d.name for d in kept], dry_run=dry_run)
    if dry_run or not remove:
        return result
    index = _memory(out)
    trash = Path(tempfile.mkdtemp(prefix=".prune-", dir=out))
    moved: list[Path] = []
    try:
        for run in remove:
            os.rename(run, trash / run.name)
            moved.append(run)
        if index is not None:
            result.rows_deleted = index.delete_runs(result.removed)
    except BaseException as exc:
        for run in reversed(moved):
            os.rename(trash / run.name, run)
        shutil.rmtree(trash, ignore_errors=True)
        if isinstance(exc, RunMemoryError):
            raise BackupError(f"{memory_location(out)}: {exc}; nothing pruned") from None
        raise
    finally:
        if index is not None:
            index.close()
    shutil.rmtree(trash, ignore_errors=True)
    return result
