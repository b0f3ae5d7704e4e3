"""`codi backup create|verify|restore|drill` and `codi runs prune`: thin skins over codi.ops."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from codi.cli.app import app, out_root
from codi.cli.errors import fail

backup_app = typer.Typer(help="Back up, verify, restore and drill the output root (runs, run memory, state).",
                         no_args_is_help=True)
runs_app = typer.Typer(help="Manage the run dirs under the output root.", no_args_is_help=True)
app.add_typer(backup_app, name="backup")
app.add_typer(runs_app, name="runs")

OutOpt = Annotated[str | None, typer.Option("--out", help="The output root (env CODI_OUTPUT_ROOT, default ./runs).")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print the result as JSON.")]
ArchiveArg = Annotated[str, typer.Argument(help="A codi-backup-<UTC>.tar.gz file.")]
KeepOpt = Annotated[int | None, typer.Option("--keep", min=0, help="Keep the N newest.")]
KeepDaysOpt = Annotated[float | None, typer.Option("--keep-days", min=0, help="Keep those younger than D days.")]




def _emit(data: dict[str, Any], as_json: bool, text: str) -> None:
    sys.stdout.write(json.dumps({"schema_version": 1, **data}, indent=2) + "\n" if as_json else text + "\n")


def _audit(out: Path, action: str, **fields: Any) -> None:
    """One audit line (where codi.telemetry.audit exists); a failed write in production mode is exit 1."""
    try:
        from codi.telemetry.audit import AuditError, audit_event
    except ImportError:
        return
    try:
        audit_event(out, action, **fields)
    except AuditError as exc:
        raise fail(f"audit log: {exc} (the {action} itself completed)", 1) from None


def _guard(fn: Any, *args: Any, **kwargs: Any) -> Any:
    from codi.ops.backup_layout import BackupError

    try:
        return fn(*args, **kwargs)
    except BackupError as exc:
        raise fail(str(exc)) from None
    except OSError as exc:
        raise fail(f"{exc.filename or ''}: {exc.strerror or exc}".lstrip(": ")) from None


def _memory_note() -> list[str]:
    """With CODI_DB_URL the run memory is in Postgres, out of these commands' reach: say so on stderr."""
    from codi.rag.index import shared_memory_note

    note = shared_memory_note()
    if note:
        sys.stderr.write(f"codi: note: {note}\n")
    return [note] if note else []


def _leftovers(cleaned: list[Path], notes: list[str]) -> dict[str, Any]:
    """Say on stderr what a killed backup/restore left: what was removed, what needs the user's look."""
    for folder in cleaned:
        sys.stderr.write(f"codi: note: removed {folder} (left by an interrupted run)\n")
    for note in notes:
        sys.stderr.write(f"codi: note: {note}\n")
    return {"cleaned": [str(p) for p in cleaned], "leftovers": notes}


def _archive(path: str) -> Path:
    archive = Path(path)
    if not archive.is_file():
        raise fail(f"{archive}: no such backup file")
    return archive


@backup_app.command("create")
def create_cmd(ctx: typer.Context, out: OutOpt = None,
               dest: Annotated[str | None, typer.Option("--out-dir", metavar="DIR", show_default=False,
                                                        help="Where to write the archive "
                                                             "(default <out>/_backups).")] = None,
               dest_alias: Annotated[str | None, typer.Option("--dest", hidden=True,
                                                              help="Old name of --out-dir.")] = None,
               no_runs: Annotated[bool, typer.Option("--no-runs", help="Leave the run dirs out (run memory, "
                                                                       "state, bundles and audit log only).")] = False,
               keep: KeepOpt = None, keep_days: KeepDaysOpt = None, as_json: JsonOpt = False) -> None:
    """Snapshot the run memory and job state (SQLite online backup), archive runs, bundles and audit log.

    Writes <out-dir>/codi-backup-<UTC>.tar.gz atomically (-2, -3... when two start in one second), verifies
    it, then deletes older backups outside --keep/--keep-days; the newest backup that verifies is never
    deleted. Staging folders of killed creates are removed first; anything else left is named with the
    command to remove it.

    Exit codes: 0 written and verified; 2 usage or I/O error.
    """
    from codi.ops.backup import create_backup

    root = out_root(ctx, out)
    dest = dest or dest_alias
    result = _guard(create_backup, root, Path(dest) if dest else None, not no_runs, keep, keep_days)
    left = _leftovers(result.cleaned, result.notes)
    notes = _memory_note()
    m = result.manifest
    _audit(root, "backup", archive=str(result.archive), runs=len(m["runs"]), members=len(m["members"]),
           deleted=[p.name for p in result.deleted])
    _emit({"archive": str(result.archive), "codi_version": m["codi_version"], "runs": len(m["runs"]),
           "members": len(m["members"]), "databases": m["databases"],
           "deleted": [str(p) for p in result.deleted], "kept": [str(p) for p in result.kept], **left,
           **({"notes": notes} if notes else {})}, as_json,
          f"{result.archive}: {len(m['members'])} file(s), {len(m['runs'])} run(s), verified"
          + (f"; deleted {len(result.deleted)} old backup(s)" if result.deleted else ""))


@backup_app.command("verify")
def verify_cmd(archive: ArchiveArg, as_json: JsonOpt = False) -> None:
    """Check every member's sha256, the row counts and SQLite integrity of a backup.

    Exit codes: 0 the archive is sound; 1 it is corrupt (the first bad member is named); 2 usage error.
    """
    from codi.ops.backup_verify import verify_archive

    report = verify_archive(_archive(archive))
    if as_json:
        _emit({k: v for k, v in report.to_json().items() if k != "schema_version"}, True, "")
    elif report.ok:
        sys.stdout.write(f"{archive}: ok ({report.checked} member(s) checked)\n")
    if not report.ok:
        raise fail(f"{archive}: corrupt at member {report.first_bad}: {report.problems[0].split(': ', 1)[-1]}", 1)


@backup_app.command("restore")
def restore_cmd(ctx: typer.Context, archive: ArchiveArg, out: OutOpt = None,
                force: Annotated[bool, typer.Option("--force", help="Replace a non-empty output root (it is "
                                                                    "kept as <root>.pre-restore-<UTC>[-N]).")] = False,
                as_json: JsonOpt = False) -> None:
    """Verify a backup, restore it into a staging folder and swap it in atomically; then run doctor.

    With --force the previous content is kept as <root>.pre-restore-<UTC> (-2, -3... when that name is
    taken) and never deleted; if a step after the swap fails, the error says where it is. Staging folders
    of killed restores are removed; one that may hold data is named with the command to remove it.

    Exit codes: 0 restored; 1 the archive failed verification (nothing changed); 2 usage error
    (including a non-empty root without --force) or a swap that stopped half way (the message says where
    the previous and the restored content are).
    """
    from codi.ops.restore import BadArchive, restore_backup

    root = out_root(ctx, out)
    try:
        result = _guard(restore_backup, _archive(archive), root, force)
    except BadArchive as exc:
        raise fail(f"{archive}: corrupt at member {exc.report.first_bad}; nothing restored", 1) from None
    left = _leftovers(result.cleaned, result.notes)
    _audit(root, "restore", archive=str(result.archive), safety_copies=[str(p) for p in result.safety_copies])
    notes = [n + "; `codi index rebuild --merge` loads the restored runs into it" for n in _memory_note()]
    _emit({"archive": str(result.archive), "root": str(result.root), "state": str(result.state),
           "members": result.report.checked, "safety_copies": [str(p) for p in result.safety_copies],
           "doctor": result.doctor, **left, **({"notes": notes} if notes else {})}, as_json,
          f"restored {result.report.checked} file(s) into {result.root}"
          + (f"; previous content kept at {', '.join(map(str, result.safety_copies))}" if result.safety_copies else "")
          + (f"; doctor: {result.doctor.get('status')} (codi doctor --out {root} for details)" if result.doctor else ""))


@backup_app.command("drill")
def drill_cmd(ctx: typer.Context, archive: ArchiveArg, out: OutOpt = None, as_json: JsonOpt = False) -> None:
    """Restore a backup into a scratch folder, check integrity, query the run memory, re-render a report.

    The result is appended to <out>/_ops/drills.jsonl.
    Exit codes: 0 the drill passed; 1 it failed; 2 usage error.
    """
    from codi.ops.drill import run_drill

    root = out_root(ctx, out)
    result = _guard(run_drill, _archive(archive), root)
    _audit(root, "drill", archive=str(result.archive), ok=result.ok, detail=result.detail)
    if as_json:
        _emit({"archive": str(result.archive), "ok": result.ok, "detail": result.detail, "checks": result.checks},
              True, "")
    elif result.ok:
        sys.stdout.write(f"drill ok: {result.detail}\n")
    if not result.ok:
        raise fail(f"drill failed: {result.detail}", 1)


@runs_app.command("prune")
def prune_cmd(ctx: typer.Context, out: OutOpt = None, keep: KeepOpt = None, keep_days: KeepDaysOpt = None,
              dry_run: Annotated[bool, typer.Option("--dry-run", help="Only say what would go.")] = False,
              as_json: JsonOpt = False) -> None:
    """Remove old run dirs and their run-memory rows in one transaction (all or nothing).

    A run stays when it is among the --keep N newest or younger than --keep-days D.
    Exit codes: 0 done; 2 usage error (neither --keep nor --keep-days).
    """
    from codi.ops.prune import prune_runs

    if keep is None and keep_days is None:
        raise fail("say how many runs to keep: --keep N and/or --keep-days D")
    root = out_root(ctx, out)
    if not root.is_dir():
        raise fail(f"{root}: no such output root")
    result = _guard(prune_runs, root, keep, keep_days, dry_run=dry_run)
    if not dry_run and result.removed:
        _audit(root, "prune", removed=result.removed, rows_deleted=result.rows_deleted)
    from codi.rag.index import memory_location

    memory = memory_location(root)
    _emit({"removed": result.removed, "kept": len(result.kept), "rows_deleted": result.rows_deleted,
           "dry_run": dry_run, "run_memory": memory}, as_json,
          f"{'would remove' if dry_run else 'removed'} {len(result.removed)} run(s), kept {len(result.kept)}"
          + (f"; {result.rows_deleted} run-memory row(s) deleted ({memory})" if result.rows_deleted else ""))
