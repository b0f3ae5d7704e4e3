"""`codi backup drill`: prove a backup restores: scratch restore, integrity, a run-memory query, a report.

Each drill appends one line to ``<out>/_ops/drills.jsonl`` (doctor reads the last good one):
``{"schema_version": 1, "ts", "archive", "ok", "detail", "checks"}``.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from codi.artifacts.rundir import iso, utc_now
from codi.ops.backup_layout import SCHEMA_VERSION, BackupError
from codi.ops.dbsnap import integrity
from codi.ops.restore import BadArchive, restore_backup


@dataclass(slots=True)
class DrillResult:
    archive: Path
    ok: bool
    detail: str
    checks: dict[str, Any] = field(default_factory=dict)

    def record(self) -> dict[str, Any]:
        return {"schema_version": SCHEMA_VERSION, "ts": iso(utc_now()), "archive": str(self.archive.resolve()),
                "ok": self.ok, "detail": self.detail, "checks": self.checks}


def drills_log(out: Path) -> Path:
    return out / "_ops" / "drills.jsonl"


def append_record(out: Path, record: dict[str, Any]) -> None:
    """One line, one ``write`` on an O_APPEND file: concurrent drills never interleave their lines."""
    path = drills_log(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    line = (json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8")
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, line)
        os.fsync(fd)
    finally:
        os.close(fd)


def _memory_query(root: Path, manifest: dict[str, Any]) -> tuple[bool, str, dict[str, Any]]:
    """Query the archive's own run memory file (never CODI_DB_URL's: the drill checks the backup)."""
    from codi.rag.index import shared_memory_note
    from codi.rag.index_protocol import RunMemoryError
    from codi.rag.memory import doc_from_run_dir, search
    from codi.rag.store import SQLiteIndex, connect, index_path

    index = index_path(root)
    if not index.is_file():
        note = shared_memory_note()
        return True, "no run memory in the archive" + (f" ({note})" if note else ""), {"runs_indexed": 0}
    verdict = integrity(index)
    if verdict != "ok":
        return False, f"run memory integrity_check: {verdict}", {}
    with SQLiteIndex(connect(index), str(index)) as memory:
        try:
            indexed = memory.run_ids()
            runs = [r for r in manifest.get("runs", []) if (root / r / "metadata" / "run.json").is_file()]
            facts: dict[str, Any] = {"runs_indexed": len(indexed)}
            if not runs:
                return True, "run memory answers (no run dirs in the archive)", facts
            doc = doc_from_run_dir(root / runs[-1])
            facts["query_run"], facts["similar"] = doc.run_id, [m["run_id"] for m in search(memory, doc)]
        except RunMemoryError as exc:
            return False, f"run memory does not answer: {exc}", {}
    missing = sorted(set(runs) - indexed)
    if missing:
        return False, f"run memory lacks {len(missing)} archived run(s), e.g. {missing[0]}", facts
    return True, f"run memory answers for {doc.run_id}", facts


def _rerender(root: Path, manifest: dict[str, Any]) -> tuple[bool, str]:
    from codi.report.render import ReportError, render_reports

    runs = [r for r in manifest.get("runs", []) if (root / r / "metadata" / "run.json").is_file()]
    if not runs:
        return True, "no run to re-render"
    try:
        md, html = render_reports(root / runs[-1])
    except (ReportError, OSError, ValueError, KeyError) as exc:
        return False, f"report of {runs[-1]} did not render: {exc}"
    if not md.read_text(encoding="utf-8").strip() or not html.read_text(encoding="utf-8").strip():
        return False, f"report of {runs[-1]} rendered empty"
    return True, f"report of {runs[-1]} re-rendered"


def run_drill(archive: Path, out: Path) -> DrillResult:
    """Restore ``archive`` into a scratch folder and check it; the result is appended to the drills log."""
    if not archive.is_file():
        raise BackupError(f"{archive}: no such backup file")
    with tempfile.TemporaryDirectory(prefix="codi-drill-") as scratch:
        root = Path(scratch) / "root"
        try:
            restored = restore_backup(archive, root, state=root / ".codi-state", doctor=False)
        except BadArchive as exc:
            result = DrillResult(archive, False, f"verify failed: {exc}",
                                 {"verify": False, "first_bad_member": exc.report.first_bad})
        else:
            manifest = restored.report.manifest or {}
            checks: dict[str, Any] = {"verify": True, "members": restored.report.checked}
            ok_q, why_q, facts = _memory_query(root, manifest)
            ok_r, why_r = _rerender(root, manifest)
            checks.update({"memory_query": ok_q, "report": ok_r, **facts})
            ok = ok_q and ok_r
            result = DrillResult(archive, ok, f"{why_q}; {why_r}" if ok else (why_q if not ok_q else why_r), checks)
    append_record(out, result.record())
    return result
