"""`codi backup create`: snapshot the SQLite state online, stage a consistent copy, write one verified tar.gz.

Files are first copied into a staging folder beside the destination (SQLite files through the backup
API), hashed there, and only then archived with ``manifest.json`` first, so the manifest describes
exactly the bytes in the archive. The archive is written inside the staging folder, fsynced, renamed into
place under a name no other backup holds (``-2``, ``-3``... within one second), and verified before
retention may delete anything older. The staging folder is claimed while in use, so the next create
removes those of killed creates (codi.ops.leftovers).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shlex
import shutil
import tarfile
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from codi import __version__
from codi.artifacts.rundir import iso, utc_now
from codi.config.paths import state_dir
from codi.ops.backup_layout import (
    MANIFEST,
    SCHEMA_VERSION,
    BackupError,
    archive_stamp,
    default_dest,
    entries,
    list_archives,
)
from codi.ops.dbsnap import snapshot, table_counts, user_version
from codi.ops.leftovers import Sweep, claim, move_to_free_name, sweep

CHUNK = 1 << 20
STAGE_PREFIX = ".codi-backup-stage-"


@dataclass(slots=True)
class BackupResult:
    archive: Path
    manifest: dict[str, Any]
    deleted: list[Path] = field(default_factory=list)
    kept: list[Path] = field(default_factory=list)
    cleaned: list[Path] = field(default_factory=list)  # staging folders of killed backups, removed
    notes: list[str] = field(default_factory=list)  # leftovers not removed, with the command to do so


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _stage(out: Path, state: Path, include_runs: bool, stage: Path) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Copy every entry into ``stage`` (databases by the online backup API); return (members, databases)."""
    members: list[dict[str, Any]] = []
    databases: list[dict[str, Any]] = []
    for entry in entries(out, state, include_runs):
        target = stage / entry.arcname
        target.parent.mkdir(parents=True, exist_ok=True)
        if entry.role in ("run-memory", "state-db"):
            snapshot(entry.source, target)
            databases.append({"path": entry.arcname, "role": entry.role, "user_version": user_version(target),
                              "tables": table_counts(target)})
        else:
            try:
                shutil.copy2(entry.source, target)
            except FileNotFoundError:  # removed meanwhile (a pruned run): not part of this snapshot
                continue
        members.append({"path": entry.arcname, "role": entry.role, "size": target.stat().st_size,
                        "sha256": sha256_file(target)})
    return members, databases


def build_manifest(out: Path, state: Path, include_runs: bool, members: list[dict[str, Any]],
                   databases: list[dict[str, Any]], now: datetime) -> dict[str, Any]:
    runs = sorted({m["path"].split("/")[1] for m in members if m["role"] == "run"})
    return {"schema_version": SCHEMA_VERSION, "kind": "codi-backup", "codi_version": __version__,
            "created_at": iso(now), "source": {"out": str(out.resolve()), "state": str(state.resolve())},
            "includes_runs": include_runs, "runs": runs, "members": members, "databases": databases}


def _write_archive(path: Path, stage: Path, manifest: dict[str, Any]) -> Path:
    """Write the archive inside ``stage`` and move it to ``path`` (or ``path-2``...: never over another)."""
    tmp = stage / f"{path.name}.partial"
    with tmp.open("wb") as raw:
        with tarfile.open(fileobj=raw, mode="w:gz", compresslevel=6, format=tarfile.PAX_FORMAT) as tar:
            data = (json.dumps(manifest, indent=2, sort_keys=True) + "\n").encode("utf-8")
            info = tarfile.TarInfo(MANIFEST)
            info.size, info.mtime, info.mode = len(data), int(utc_now().timestamp()), 0o644
            tar.addfile(info, io.BytesIO(data))
            for member in manifest["members"]:
                tar.add(stage / "files" / member["path"], arcname=member["path"], recursive=False)
        raw.flush()
        os.fsync(raw.fileno())
    os.chmod(tmp, 0o600)  # run history and state: for the operator only
    try:
        return move_to_free_name(tmp, path)
    except FileExistsError:
        raise BackupError(f"{path.parent}: no free backup name for {path.name}") from None


def sweep_backups(dest: Path) -> Sweep:
    """Delete staging folders of killed backups in ``dest``; name what an older CODI left there."""
    found = sweep(sorted(dest.glob(f"{STAGE_PREFIX}*")), "backup")
    for partial in sorted(dest.glob(".codi-backup-*.partial")):  # left by an older CODI (it wrote archives beside dest)
        found.notes.append(f"{partial} is a partial archive of an interrupted backup; remove it with: "
                           f"rm -f -- {shlex.quote(str(partial))}")
    return found


def create_backup(out: Path, dest: Path | None = None, include_runs: bool = True, keep: int | None = None,
                  keep_days: float | None = None, now: datetime | None = None,
                  state: Path | None = None) -> BackupResult:
    """Write ``<dest>/codi-backup-<UTC>.tar.gz``, verify it, then apply retention (if asked)."""
    from codi.ops.backup_verify import verify_archive

    now = now or utc_now()
    state = state if state is not None else state_dir(out)
    dest = dest if dest is not None else default_dest(out)
    if not out.is_dir():
        raise BackupError(f"{out}: no such output root")
    try:
        dest.mkdir(parents=True, exist_ok=True)
        swept = sweep_backups(dest)
        stage = Path(tempfile.mkdtemp(prefix=STAGE_PREFIX, dir=dest))
        held = claim(stage)
        try:
            members, databases = _stage(out, state, include_runs, stage / "files")
            manifest = build_manifest(out, state, include_runs, members, databases, now)
            path = _write_archive(dest / f"codi-backup-{now.strftime('%Y%m%dT%H%M%SZ')}.tar.gz", stage, manifest)
        finally:
            held.release()
            shutil.rmtree(stage, ignore_errors=True)
    except OSError as exc:
        raise BackupError(f"{exc.filename or dest}: {exc.strerror or exc}") from None
    report = verify_archive(path)
    if not report.ok:  # never keep (or count as good) an archive that does not read back
        path.unlink(missing_ok=True)
        raise BackupError(f"{path}: the new archive did not verify: {report.problems[0]}")
    result = BackupResult(path, manifest, cleaned=swept.removed, notes=swept.notes)
    if keep is not None or keep_days is not None:
        result.deleted, result.kept = apply_retention(dest, keep, keep_days, now, newest_verified=path)
    return result


def apply_retention(dest: Path, keep: int | None, keep_days: float | None, now: datetime,
                    newest_verified: Path | None = None,
                    is_verified: Callable[[Path], bool] | None = None) -> tuple[list[Path], list[Path]]:
    """Delete backups outside ``--keep N`` newest / ``--keep-days D``; (deleted, kept).

    A backup is kept when either rule keeps it. The newest backup that verifies is always kept,
    whatever the rules say (``newest_verified`` when the caller just verified it, else the first
    archive, newest first, that ``is_verified`` accepts).
    """
    archives = list_archives(dest)
    if newest_verified is None:
        check = is_verified or _verifies
        newest_verified = next((a for a in archives if check(a)), None)
    deleted: list[Path] = []
    kept: list[Path] = []
    for rank, archive in enumerate(archives):
        stamp = archive_stamp(archive.name)
        young = keep_days is not None and stamp is not None and now - stamp[0] <= timedelta(days=keep_days)
        recent = keep is not None and rank < keep
        if young or recent or archive == newest_verified:
            kept.append(archive)
            continue
        archive.unlink(missing_ok=True)
        deleted.append(archive)
    return deleted, kept


def _verifies(path: Path) -> bool:
    from codi.ops.backup_verify import verify_archive

    return verify_archive(path).ok
