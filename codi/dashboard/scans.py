"""`codi scan` results for the dashboard, read from the scan database under ``<runs>/_fleet/fleet.db``.

The database is opened read-only (no migration, no WAL switch, no new file): looking at a fleet must
not change it. An unreadable database leaves the runs and lint data showing, with the reason given.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from pathlib import Path
from typing import Any

from codi.fleet.db_sqlite import SQLiteDB

FLEET_DB = Path("_fleet") / "fleet.db"


def scan_summaries(runs_root: Path, limit: int = 50) -> tuple[list[dict[str, Any]], str | None]:
    """(the newest ``limit`` scans, newest first, each with its findings per rule; why none could be read)."""
    path = runs_root / FLEET_DB
    if not path.is_file():
        return [], None
    try:
        db = SQLiteDB.read_only(path)
    except (OSError, RuntimeError, sqlite3.Error) as exc:
        return [], f"{FLEET_DB.as_posix()}: {exc}"
    try:
        out = []
        for scan in db.scans(limit):
            repos = db.repos(scan.scan_id)
            contents = db.contents(sorted({r.key for r in repos if r.key}))
            by_rule: Counter[str] = Counter()
            for repo in repos:
                row = contents.get(repo.key or "")
                if repo.status != "failed" and row is not None:
                    by_rule.update(row.by_rule)
            out.append({
                "scan_id": scan.scan_id, "status": scan.status,
                "started_at": scan.started_at, "finished_at": scan.finished_at,
                "repos": len(repos),
                "failed": sum(1 for r in repos if r.status == "failed"),
                "cached": sum(1 for r in repos if r.status == "cached"),
                "findings": sum(r.findings or 0 for r in repos if r.status != "failed"),
                "by_rule": dict(sorted(by_rule.items(), key=lambda kv: (-kv[1], kv[0]))),
            })
        return out, None
    except (sqlite3.Error, ValueError) as exc:  # a damaged file or a by_rule that is not JSON
        return [], f"{FLEET_DB.as_posix()}: {exc}"
    finally:
        db.close()
