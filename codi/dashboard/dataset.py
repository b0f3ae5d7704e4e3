"""Build the dashboard dataset from a runs folder.

Every folder under the runs root whose name is a run id is read; one that cannot be read is
listed under ``skipped`` with the reason instead of being silently dropped.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterable
from pathlib import Path
from typing import Any, cast

from codi.artifacts.models import MetricsRecord, RunRecord
from codi.artifacts.rundir import RUN_ID_RE, iso, utc_now
from codi.telemetry.redact import redact_data
from codi.telemetry.tracing import read_spans, slowest_stages

SCHEMA_VERSION = 1


class RunUnreadable(Exception):
    """A run folder whose artefacts are missing or invalid."""


def _json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RunUnreadable(f"missing {path.parent.name}/{path.name}") from None
    except (OSError, ValueError) as exc:
        raise RunUnreadable(f"{path.parent.name}/{path.name}: {exc}") from None


def _optional(path: Path) -> Any:
    try:
        return _json(path)
    except RunUnreadable:
        return None


def _link(path: Path, relative_to: Path | None) -> str:
    if relative_to is None:
        return str(path)
    return Path(os.path.relpath(path.resolve(), relative_to.resolve())).as_posix()


def _best(run: RunRecord, metrics: MetricsRecord) -> dict[str, Any] | None:
    cid = run.recommendation.candidate_id if run.recommendation else None
    if cid is None:
        return None
    cand = next((c for c in run.candidates if c.id == cid), None)
    nums = next((n for n in metrics.candidates if n.candidate_id == cid), None)
    return {
        "candidate_id": cid,
        "title": cand.title if cand else None,
        "risk": cand.risk if cand else None,
        "kind": nums.kind if nums else None,
        "size": nums.size_bytes if nums else None,
        "layers": nums.layers if nums else None,
        "size_delta_bytes": nums.size_delta_bytes if nums else None,
        "size_delta_pct": nums.size_delta_pct if nums else None,
        "layers_delta": nums.layers_delta if nums else None,
        "resolves": len(cand.resolves) if cand else 0,
    }


def read_run(run_dir: Path, relative_to: Path | None = None) -> dict[str, Any]:
    """One dashboard row for ``run_dir``; raises RunUnreadable."""
    meta = run_dir / "metadata"
    try:
        run = RunRecord.model_validate(_json(meta / "run.json"))
        metrics = MetricsRecord.model_validate(_json(meta / "metrics.json"))
    except ValueError as exc:  # pydantic ValidationError is a ValueError
        raise RunUnreadable(f"artefacts do not match their schema: {str(exc).splitlines()[0]}") from None
    explain = _optional(meta / "explain.json")
    llm = _optional(meta / "llm_metrics.json")
    summary = explain.get("summary") if isinstance(explain, dict) else None
    if summary is None and run.recommendation is not None:
        summary = run.recommendation.reason
    report = run_dir / "reports" / "report.html"
    tags = [run.stack, "llm" if isinstance(llm, dict) and llm.get("mode") == "llm" else "deterministic"]
    return {
        "run_id": run.run_id,
        "stack": run.stack,
        "project_name": run.project_name,
        "created_at": run.created_at,
        "original": {
            "size": metrics.original.size_bytes,
            "layers": metrics.original.layers,
            "build_seconds": metrics.original.build_seconds,
            "kind": metrics.original.kind,
        },
        "candidate_count": len(run.candidates),
        "best_candidate": _best(run, metrics),
        "assist_summary": summary,
        "paths": {
            "run_dir": _link(run_dir, relative_to),
            "report_html": _link(report, relative_to) if report.is_file() else None,
            "report_md": _link(run_dir / "reports" / "report.md", relative_to)
            if (run_dir / "reports" / "report.md").is_file() else None,
        },
        "tags": tags,
    }


def _stacks(runs: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    groups: dict[str, list[dict[str, Any]]] = {}
    for r in runs:
        groups.setdefault(r["stack"], []).append(r)
    out = []
    for stack in sorted(groups):
        rows = groups[stack]
        pcts = [r["best_candidate"]["size_delta_pct"] for r in rows
                if r["best_candidate"] and r["best_candidate"]["size_delta_pct"] is not None]
        out.append({
            "stack": stack,
            "run_count": len(rows),
            "with_recommendation": sum(1 for r in rows if r["best_candidate"]),
            "mean_size_delta_pct": round(sum(pcts) / len(pcts), 1) if pcts else None,
            "latest_run": max(r["created_at"] for r in rows),
        })
    return out


def build_dataset(runs_root: Path, relative_to: Path | None = None) -> dict[str, Any]:
    """The dataset of every run under ``runs_root`` (newest first), with skipped folders and reasons."""
    runs: list[dict[str, Any]] = []
    skipped: list[dict[str, str]] = []
    if runs_root.is_dir():
        for entry in sorted(runs_root.iterdir()):
            if entry.name.startswith(".") or entry.name.startswith("_") or not entry.is_dir():
                continue  # staging folders of runs in progress, the RAG index
            if not RUN_ID_RE.match(entry.name):
                skipped.append({"path": _link(entry, relative_to), "reason": "name is not a run id"})
                continue
            try:
                runs.append(read_run(entry, relative_to))
            except RunUnreadable as exc:
                skipped.append({"path": _link(entry, relative_to), "reason": str(exc)})
    runs.sort(key=lambda r: (r["created_at"], r["run_id"]), reverse=True)
    spans = read_spans(runs_root)  # the runs' traces (<root>/_traces), read once
    for run in runs:
        run["slowest_stages"] = slowest_stages(runs_root, run["run_id"], 3, spans) if spans else []
    data = {
        "schema_version": SCHEMA_VERSION,
        "generated_at": iso(utc_now()),
        "runs_root": _link(runs_root, relative_to),
        "run_count": len(runs),
        "runs": runs,
        "stacks": _stacks(runs),
        "skipped": skipped,
        "scans": fleet_scans(runs_root),
    }
    # Dashboard data describes runs: redacted even where a run was written with --no-redact.
    return cast(dict[str, Any], redact_data(data))


def fleet_scans(runs_root: Path, limit: int = 20) -> list[dict[str, Any]]:
    """The newest `codi scan` runs recorded under ``<root>/_fleet/fleet.db`` (none when there is none)."""
    path = runs_root / "_fleet" / "fleet.db"
    if not path.is_file():
        return []
    from codi.fleet.db import open_db
    from codi.fleet.db_protocol import DBError

    try:
        db = open_db(None, path)
        out = []
        for scan in db.scans(limit):
            repos = db.repos(scan.scan_id)
            out.append({"scan_id": scan.scan_id, "status": scan.status, "started_at": scan.started_at,
                        "finished_at": scan.finished_at, "repos": len(repos),
                        "failed": sum(1 for r in repos if r.status == "failed"),
                        "cached": sum(1 for r in repos if r.status == "cached"),
                        "findings": sum(r.findings or 0 for r in repos)})
        db.close()
        return out
    except (DBError, OSError, RuntimeError, sqlite3.Error):  # an unreadable fleet database: the runs still show
        return []
