"""`codi backup restore`: verify while extracting into a staging folder, then swap it in atomically.

The staging folder is a sibling of the output root (same file system), so the swap is a rename: on
Linux one ``renameat2(RENAME_EXCHANGE)``, elsewhere two renames. A non-empty root is only replaced with
``force``, and then kept beside it as ``<root>.pre-restore-<UTC>`` (the safety copy). The backups
folder and the ops records (``_backups``, ``_ops``) are not part of a snapshot: they move into the
restored root.
"""

from __future__ import annotations

import ctypes
import importlib
import os
import shutil
import sys
import tempfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from codi.artifacts.rundir import utc_now
from codi.ops.backup_layout import PRESERVED, BackupError, state_dir
from codi.ops.backup_verify import VerifyReport, verify_archive

_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


class BadArchive(Exception):
    """The archive failed verification (exit 1); carries the report."""

    def __init__(self, report: VerifyReport) -> None:
        super().__init__(report.problems[0] if report.problems else "the archive did not verify")
        self.report = report


@dataclass(slots=True)
class RestoreResult:
    archive: Path
    root: Path
    state: Path
    report: VerifyReport
    safety_copies: list[Path] = field(default_factory=list)
    doctor: dict[str, Any] | None = None


def _occupied(folder: Path, ignore: tuple[str, ...] = ()) -> bool:
    return folder.is_dir() and any(p.name not in ignore for p in folder.iterdir())


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one step (Linux renameat2); False where the system cannot."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        fn = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return False
    return bool(fn(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0)


def swap_in(staged: Path, target: Path, safety: Path, carry: tuple[str, ...] = ()) -> Path | None:
    """Put ``staged`` at ``target``; an occupied ``target`` ends up at ``safety``, which is returned."""
    if target.is_dir():
        for name in carry:
            if (target / name).exists() and not (staged / name).exists():
                os.rename(target / name, staged / name)
        if not _occupied(target):
            target.rmdir()
    if not target.exists():
        os.rename(staged, target)
        return None
    if _exchange(staged, target):
        os.rename(staged, safety)  # ``staged`` now holds the old root
        return safety
    os.rename(target, safety)
    try:
        os.rename(staged, target)
    except OSError:
        os.rename(safety, target)
        raise
    return safety


def _stage_for(target: Path) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    staged = Path(tempfile.mkdtemp(prefix=f".{target.name}.restore-", dir=target.parent))
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(staged, 0o777 & ~umask)  # the restored root gets ordinary permissions, not mkdtemp's 0700
    return staged


def _within(child: Path, parent: Path) -> bool:
    return child.resolve().is_relative_to(parent.resolve())


def restore_backup(archive: Path, root: Path, force: bool = False, state: Path | None = None,
                   now: datetime | None = None, doctor: bool = True) -> RestoreResult:
    """Restore ``archive`` into ``root`` (and its state folder); raise BackupError / BadArchive."""
    if not archive.is_file():
        raise BackupError(f"{archive}: no such backup file")
    state = state if state is not None else state_dir(root)
    state_inside = _within(state, root)
    busy = [p for p, ignore in ((root, PRESERVED), (state, ())) if _occupied(p, ignore)]
    if busy and not force:
        raise BackupError(f"{busy[0]} is not empty: restore refuses to replace it without --force "
                          "(the current content is then kept as a safety copy)")
    stamp = (now or utc_now()).strftime("%Y%m%dT%H%M%SZ")
    staged_root = _stage_for(root)
    staged_state = staged_root / state.resolve().relative_to(root.resolve()) if state_inside else _stage_for(state)
    try:
        report = verify_archive(archive, staged_root, staged_state)
        if not report.ok:
            raise BadArchive(report)
        result = RestoreResult(archive, root, state, report)
        if not state_inside:
            copy = swap_in(staged_state, state, state.with_name(f"{state.name}.pre-restore-{stamp}"))
            result.safety_copies += [copy] if copy else []
        copy = swap_in(staged_root, root, root.with_name(f"{root.name}.pre-restore-{stamp}"), PRESERVED)
        result.safety_copies += [copy] if copy else []
    except BaseException:
        shutil.rmtree(staged_root, ignore_errors=True)
        if not state_inside:
            shutil.rmtree(staged_state, ignore_errors=True)
        raise
    if doctor:
        result.doctor = run_doctor(root)
    return result


# Doctor's checks about what a restore brings back (the model, endpoints and engines are not in a backup).
DOCTOR_CHECKS = ("run_memory", "output_root", "disk", "audit_log", "rules_verified", "adapter")


def run_doctor(root: Path) -> dict[str, Any] | None:
    """Doctor's report on the restored root (its data checks), when this CODI has doctor."""
    try:
        doctor = importlib.import_module("codi.ops.doctor")
    except ImportError:
        return None
    try:
        ctx = doctor.Context.create(root)
        only = tuple(n for n in DOCTOR_CHECKS if n in getattr(doctor, "CHECK_NAMES", DOCTOR_CHECKS))
        data = doctor.report(ctx, doctor.run_checks(ctx, only=only))
    except Exception as exc:  # doctor's own failure must not undo a finished restore
        return {"status": "fail", "error": f"{type(exc).__name__}: {exc}"}
    return data if isinstance(data, dict) else None
