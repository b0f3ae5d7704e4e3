"""What a CODI backup holds and where each part lives: one table shared by create, verify and restore.

An archive ``codi-backup-<UTC>.tar.gz`` starts with ``manifest.json``, then members named
``out/<rel>`` (run dirs, the run memory ``_rag/index.sqlite3``, the audit log ``_audit/``) and
``state/<rel>`` (the API's job/metrics SQLite files and the installed bundles ``bundles/``).
What ``CODI_DB_URL`` puts in Postgres (the run memory among it) is backed up with the database's own
tools (pg_dump), not here; the commands say so (codi.rag.index.shared_memory_note).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath

from codi.rag.memory import run_dirs
from codi.rag.store import index_path

MANIFEST = "manifest.json"
SCHEMA_VERSION = 1
ARCHIVE_RE = re.compile(r"^codi-backup-(\d{8}T\d{6}Z)(?:-(\d+))?\.tar\.gz$")
# Operational records about backups themselves: never inside a snapshot, carried over on restore.
PRESERVED = ("_backups", "_ops")
AUDIT_DIR = "_audit"
DB_SUFFIXES = (".sqlite", ".sqlite3", ".db")


class BackupError(Exception):
    """A user-level problem (bad path, refused restore): one line, exit 2."""


@dataclass(frozen=True, slots=True)
class Entry:
    arcname: str  # out/<rel> or state/<rel>
    source: Path
    role: str  # run | audit | bundle | run-memory | state-db



def default_dest(out: Path) -> Path:
    return out / "_backups"


def archive_stamp(name: str) -> tuple[datetime, int] | None:
    """(UTC time, sequence) from a backup file name, or None when it is not one of ours."""
    m = ARCHIVE_RE.match(name)
    if not m:
        return None
    return datetime.strptime(m.group(1), "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC), int(m.group(2) or 1)


def list_archives(dest: Path) -> list[Path]:
    """Backups in ``dest``, newest first (by the time in their names)."""
    found = [(stamp, p) for p in dest.glob("codi-backup-*.tar.gz") if (stamp := archive_stamp(p.name))]
    return [p for _, p in sorted(found, key=lambda sp: sp[0], reverse=True)]


def audit_dir(out: Path) -> Path:
    """The audit log's folder (``CODI_AUDIT_LOG`` moves it; only a folder inside ``out`` is backed up)."""
    try:
        from codi.telemetry.audit import audit_log_path
    except ImportError:
        return out / AUDIT_DIR
    return audit_log_path(out).parent


def _files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file() and not p.is_symlink())


def entries(out: Path, state: Path, include_runs: bool = True) -> list[Entry]:
    """Everything a backup of ``out`` (and ``state``) holds, in archive order."""
    found: list[Entry] = []
    if include_runs:
        for run in run_dirs(out):
            if run.name.startswith("."):  # a run still being written (staging folder)
                continue
            found += [Entry(f"out/{p.relative_to(out).as_posix()}", p, "run") for p in _files(run)]
    index = index_path(out)
    if index.is_file():
        found.append(Entry(f"out/{index.relative_to(out).as_posix()}", index, "run-memory"))
    audit = audit_dir(out)
    if audit.is_dir() and audit.resolve().is_relative_to(out.resolve()):
        found += [Entry(f"out/{p.relative_to(out).as_posix()}", p, "audit") for p in _files(audit)]
    traces = out / "_traces"  # the runs' spans (codi.telemetry.tracing): the dashboard's slowest stages
    if traces.is_dir():
        found += [Entry(f"out/{p.relative_to(out).as_posix()}", p, "traces") for p in _files(traces)]
    if state.is_dir():
        for p in sorted(state.iterdir()):
            if p.is_file() and p.suffix in DB_SUFFIXES:
                found.append(Entry(f"state/{p.name}", p, "state-db"))
        bundles = state / "bundles"
        if bundles.is_dir():
            found += [Entry(f"state/{p.relative_to(state).as_posix()}", p, "bundle") for p in _files(bundles)]
    return found


def safe_member(name: str) -> PurePosixPath | None:
    """The member's path below ``out/`` or ``state/`` as (area, rest), or None when it could escape."""
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts or len(path.parts) < 2 or path.parts[0] not in ("out", "state"):
        return None
    if "\\" in name or any(part in ("", ".") for part in name.split("/")):
        return None
    return path


def place(name: str, out_root: Path, state_root: Path) -> Path:
    """Where member ``name`` (already checked by :func:`safe_member`) lands."""
    area, *rest = PurePosixPath(name).parts
    return (out_root if area == "out" else state_root).joinpath(*rest)
