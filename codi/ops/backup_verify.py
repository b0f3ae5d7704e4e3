"""`codi backup verify`: read an archive once, front to back, and check it against its manifest.

Every member's sha256 and size, no member missing or extra, no path that could escape, each SQLite
snapshot's ``PRAGMA integrity_check`` and row counts. The archive is read as a stream, so a truncated
or damaged file is caught at the member where the damage starts. With ``out_root``/``state_root``
the members are also written there (restore and drill), each only after its own checks passed.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import tarfile
import tempfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from codi.ops.backup_layout import MANIFEST, SCHEMA_VERSION, place, safe_member
from codi.ops.dbsnap import integrity, table_counts

CHUNK = 1 << 20
_STREAM_ERRORS = (EOFError, tarfile.TarError, zlib.error, gzip.BadGzipFile, OSError, UnicodeDecodeError)


@dataclass(slots=True)
class VerifyReport:
    archive: Path
    ok: bool = True
    first_bad: str | None = None
    problems: list[str] = field(default_factory=list)
    manifest: dict[str, Any] | None = None
    checked: int = 0
    first_member: tarfile.TarInfo | None = field(default=None, repr=False)

    def fail(self, member: str, why: str) -> None:
        if self.ok:
            self.ok, self.first_bad = False, member
        self.problems.append(f"{member}: {why}")

    def to_json(self) -> dict[str, Any]:
        m = self.manifest or {}
        return {"schema_version": SCHEMA_VERSION, "archive": str(self.archive), "ok": self.ok,
                "first_bad_member": self.first_bad, "problems": self.problems, "members_checked": self.checked,
                "codi_version": m.get("codi_version"), "created_at": m.get("created_at"),
                "runs": len(m.get("runs", [])), "databases": m.get("databases", [])}


def _copy_hashing(src: IO[bytes], dest: IO[bytes] | None) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    while chunk := src.read(CHUNK):
        digest.update(chunk)
        size += len(chunk)
        if dest is not None:
            dest.write(chunk)
    return digest.hexdigest(), size


def _read_manifest(tar: tarfile.TarFile, report: VerifyReport) -> dict[str, Any] | None:
    first = tar.next()
    report.first_member = first
    if first is None or first.name != MANIFEST or not first.isfile():
        report.fail(first.name if first else MANIFEST, "the archive does not start with manifest.json")
        return None
    handle = tar.extractfile(first)
    assert handle is not None
    try:
        manifest = json.loads(handle.read().decode("utf-8"))
    except ValueError as exc:
        report.fail(MANIFEST, f"not valid JSON: {exc}")
        return None
    if not isinstance(manifest, dict) or manifest.get("kind") != "codi-backup":
        report.fail(MANIFEST, "not a CODI backup manifest")
        return None
    if manifest.get("schema_version") != SCHEMA_VERSION:
        report.fail(MANIFEST, f"schema_version {manifest.get('schema_version')!r}; this CODI reads {SCHEMA_VERSION}")
        return None
    return manifest


def _check_database(path: Path, name: str, expected: dict[str, Any], report: VerifyReport) -> None:
    verdict = integrity(path)
    if verdict != "ok":
        report.fail(name, f"SQLite integrity_check: {verdict}")
        return
    counts = table_counts(path)
    for table, rows in (expected.get("tables") or {}).items():
        if counts.get(table) != rows:
            report.fail(name, f"table {table}: {counts.get(table)} rows, the manifest says {rows}")
            return


def verify_archive(path: Path, out_root: Path | None = None, state_root: Path | None = None) -> VerifyReport:
    """Check ``path`` member by member; when roots are given, also write the members there."""
    report = VerifyReport(path)
    current = MANIFEST
    try:
        with tarfile.open(path, mode="r|gz") as tar, tempfile.TemporaryDirectory(prefix="codi-verify-") as tmp:
            manifest = _read_manifest(tar, report)
            if manifest is None:
                return report
            report.manifest = manifest
            expected = {m["path"]: m for m in manifest.get("members", [])}
            databases = {d["path"]: d for d in manifest.get("databases", [])}
            seen: set[str] = set()
            for member in tar:
                current = member.name
                if member is report.first_member or member.isdir():  # the iterator yields it again
                    continue
                if safe_member(member.name) is None or not member.isfile():
                    report.fail(member.name, "not a plain file inside out/ or state/ (refused)")
                    return report
                entry = expected.get(member.name)
                if entry is None or member.name in seen:
                    report.fail(member.name, "not listed in the manifest" if entry is None else "listed twice")
                    continue
                seen.add(member.name)
                target = place(member.name, out_root, state_root or out_root / ".codi-state") if out_root else None
                is_db = member.name in databases
                scratch = Path(tmp) / "db.sqlite" if is_db and target is None else None
                write_to = target or scratch
                source = tar.extractfile(member)
                assert source is not None
                if write_to is not None:
                    write_to.parent.mkdir(parents=True, exist_ok=True)
                    with write_to.open("wb") as handle:
                        digest, size = _copy_hashing(source, handle)
                    os.chmod(write_to, member.mode & 0o777 or 0o644)
                    os.utime(write_to, (member.mtime, member.mtime))
                else:
                    digest, size = _copy_hashing(source, None)
                report.checked += 1
                if digest != entry.get("sha256") or size != entry.get("size"):
                    report.fail(member.name, f"sha256 {digest[:12]}… size {size} does not match the manifest "
                                             f"({str(entry.get('sha256'))[:12]}… size {entry.get('size')})")
                    continue
                if is_db and write_to is not None:
                    _check_database(write_to, member.name, databases[member.name], report)
                    if scratch is not None:
                        scratch.unlink(missing_ok=True)
            current = MANIFEST
            for name in expected:
                if name not in seen:
                    report.fail(name, "listed in the manifest but missing from the archive")
                    break
    except _STREAM_ERRORS as exc:
        why = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc) or type(exc).__name__
        report.fail(current, f"the archive is damaged or truncated here: {why}")
    return report
