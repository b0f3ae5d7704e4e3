"""`codi backup restore`: verify while extracting into a staging folder, then swap it in atomically.

The staging folder is a sibling of the output root (same file system), so the swap is a rename: on
Linux one ``renameat2(RENAME_EXCHANGE)``, elsewhere two renames. A non-empty root is only replaced with
``force``, and then kept beside it as ``<root>.pre-restore-<UTC>`` (the safety copy; ``-2``, ``-3``... when
that name is taken). From the swap on nothing is deleted: a failed step says where each part is. Staging
folders of killed restores are swept on the next restore (codi.ops.leftovers). The backups
folder and the ops records (``_backups``, ``_ops``) are not part of a snapshot: they move into the
restored root; so do the operator's files of the state folder (``audit.key``, ``trusted-keys``).
"""

from __future__ import annotations

import importlib
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from codi.artifacts.rundir import utc_now
from codi.config.operator import OPERATOR_FILES
from codi.config.paths import state_dir
from codi.ops.backup_layout import PRESERVED, BackupError
from codi.ops.backup_verify import VerifyReport, verify_archive
from codi.ops.leftovers import RENAME_EXCHANGE, Claim, Sweep, claim, move_to_free_name, renameat2, sweep
from codi.telemetry.audit import audit_log_path, reanchor


class RestoreIncomplete(BackupError):
    """The swap stopped half way; the message says where the previous and the restored content are."""


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
    cleaned: list[Path] = field(default_factory=list)  # staging folders of killed restores, removed
    notes: list[str] = field(default_factory=list)  # leftovers that may hold data: the command to remove them


def _occupied(folder: Path, ignore: tuple[str, ...] = ()) -> bool:
    return folder.is_dir() and any(p.name not in ignore for p in folder.iterdir())


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one step (Linux renameat2); False where the system cannot."""
    return renameat2(a, b, RENAME_EXCHANGE) == 0


def _carry(target: Path, staged: Path, names: tuple[str, ...]) -> list[str]:
    moved = []
    for name in names:
        if (target / name).exists() and not (staged / name).exists():
            (staged / name).parent.mkdir(parents=True, exist_ok=True)
            os.rename(target / name, staged / name)
            moved.append(name)
    return moved


def swap_in(staged: Path, target: Path, safety: Path, carry: tuple[str, ...] = ()) -> Path | None:
    """Put ``staged`` at ``target``; an occupied ``target`` ends up at ``safety`` (or ``safety-2``, ``-3``...
    when taken), which is returned. Nothing is deleted; a failed step raises RestoreIncomplete saying
    where each part is."""
    moved: list[str] = []
    try:
        if target.is_dir():
            moved = _carry(target, staged, carry)
            if not _occupied(target):
                target.rmdir()
        if not target.exists():
            os.rename(staged, target)
            return None
        if not _exchange(staged, target):
            kept = move_to_free_name(target, safety)
            try:
                os.rename(staged, target)
            except (Exception, KeyboardInterrupt) as exc:
                try:
                    os.rename(kept, target)
                except OSError:
                    raise RestoreIncomplete(f"could not put the restored content in place at {target}: {_why(exc)}; "
                                            f"the previous content is at {kept}, the restored content at "
                                            f"{staged}") from exc
                raise
            return kept
    except RestoreIncomplete:
        raise
    except (Exception, KeyboardInterrupt) as exc:
        carried = f" ({', '.join(moved)} moved into it)" if moved else ""
        raise RestoreIncomplete(f"could not put the restored content in place at {target}: {_why(exc)}; "
                                f"{target} was not replaced; the restored content is at {staged}{carried}") from exc
    try:  # ``staged`` now holds the previous content
        return move_to_free_name(staged, safety)
    except (Exception, KeyboardInterrupt) as exc:
        raise RestoreIncomplete(f"{target} is restored, but the previous content could not be renamed to "
                                f"{safety} ({_why(exc)}): it is kept at {staged}") from exc


def _why(exc: BaseException) -> str:
    if isinstance(exc, KeyboardInterrupt):
        return "interrupted"
    return (exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)) or type(exc).__name__


def _stage_for(target: Path) -> tuple[Path, Claim]:
    target.parent.mkdir(parents=True, exist_ok=True)
    staged = Path(tempfile.mkdtemp(prefix=f".{target.name}.restore-", dir=target.parent))
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(staged, 0o777 & ~umask)  # the restored root gets ordinary permissions, not mkdtemp's 0700
    return staged, claim(staged)


def _within(child: Path, parent: Path) -> bool:
    return child.resolve().is_relative_to(parent.resolve())


def sweep_restores(*targets: Path) -> Sweep:
    """Delete staging folders of killed restores next to ``targets``; report any that may hold data."""
    found = Sweep()
    for target in targets:
        if target.parent.is_dir():
            swept = sweep(sorted(target.parent.glob(f".{target.name}.restore-*")), "restore", may_hold_data=True)
            found.removed += swept.removed
            found.notes += swept.notes
    return found


def restore_backup(archive: Path, root: Path, force: bool = False, state: Path | None = None,
                   now: datetime | None = None, doctor: bool = True) -> RestoreResult:
    """Restore ``archive`` into ``root`` (and its state folder); raise BackupError / BadArchive.

    Until the swap a failure removes only this restore's staging folders; from the swap on nothing is
    deleted, and RestoreIncomplete (a BackupError) says where the previous and the restored content are.
    """
    if not archive.is_file():
        raise BackupError(f"{archive}: no such backup file")
    state = state if state is not None else state_dir(root)
    state_inside = _within(state, root)
    busy = [p for p, ignore in ((root, PRESERVED), (state, OPERATOR_FILES)) if _occupied(p, ignore)]
    if busy and not force:
        raise BackupError(f"{busy[0]} is not empty: restore refuses to replace it without --force "
                          "(the current content is then kept as a safety copy)")
    swept = sweep_restores(root, *(() if state_inside else (state,)))
    stamp = (now or utc_now()).strftime("%Y%m%dT%H%M%SZ")
    staged_root, claims = _stage_for(root)
    staged_state = staged_root / state.resolve().relative_to(root.resolve()) if state_inside else None
    claimed = [claims]
    try:
        if staged_state is None:
            staged_state, state_claim = _stage_for(state)
            claimed.append(state_claim)
        report = verify_archive(archive, staged_root, staged_state)
        if not report.ok:
            raise BadArchive(report)
    except BaseException:
        for held in claimed:
            held.release()
            shutil.rmtree(held.folder, ignore_errors=True)
        raise
    for held in claimed:  # from here on the folders are never swept: one may come to hold the old root
        held.release()
    result = RestoreResult(archive, root, state, report, cleaned=swept.removed, notes=swept.notes)
    if not state_inside:
        try:
            copy = swap_in(staged_state, state, state.with_name(f"{state.name}.pre-restore-{stamp}"), OPERATOR_FILES)
        except RestoreIncomplete as exc:
            raise RestoreIncomplete(f"{exc}; {root} was not replaced; the restored output root is at "
                                    f"{staged_root}") from exc
        result.safety_copies += [copy] if copy else []
    try:
        inner = state.resolve().relative_to(root.resolve()).as_posix() if state_inside else None
        carry = PRESERVED + (tuple(f"{inner}/{f}" for f in OPERATOR_FILES) if inner else ())
        copy = swap_in(staged_root, root, root.with_name(f"{root.name}.pre-restore-{stamp}"), carry)
    except RestoreIncomplete as exc:
        if state_inside:
            raise
        where = f"kept at {result.safety_copies[0]}" if result.safety_copies else "not there before"
        raise RestoreIncomplete(f"{exc}; the state folder {state} is already restored (its previous content "
                                f"{where})") from exc
    result.safety_copies += [copy] if copy else []
    _reanchor_audit(root)
    if doctor:
        result.doctor = run_doctor(root)
    return result


def _reanchor_audit(root: Path) -> None:
    """The restored audit log is older than its anchor on purpose: anchor it at its restored end."""
    log = audit_log_path(root)
    if log.is_file():
        reanchor(log)


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
