"""Build the dashboard dataset from a runs folder, lint reports and the scan database.

Every folder under the runs root whose name is a run id is read; one that cannot be read (likewise a
lint report) is listed under ``skipped`` with the reason instead of being silently dropped.
The dataset's fields are described in docs/dashboard.md; ``schema_version`` changes with them.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, cast

from codi.artifacts.models import MetricsRecord, RunRecord
from codi.artifacts.rundir import RUN_ID_RE, iso, utc_now
from codi.dashboard.lint_reports import LintReportUnreadable, read_lint_report, saved_reports
from codi.dashboard.scans import scan_summaries
from codi.rules.registry import get_rule
from codi.telemetry.redact import redact_data
from codi.telemetry.tracing import read_spans, slowest_stages

SCHEMA_VERSION = 2


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


def _run_rows(runs_root: Path, relative_to: Path | None, skipped: list[dict[str, str]]) -> list[dict[str, Any]]:
    runs: list[dict[str, Any]] = []
    if runs_root.is_dir():
        for entry in sorted(runs_root.iterdir()):
            if entry.name.startswith(".") or entry.name.startswith("_") or not entry.is_dir():
                continue  # staging folders of runs in progress, the RAG index, _fleet, _lint
            if not RUN_ID_RE.match(entry.name):
                skipped.append({"path": _link(entry, relative_to), "reason": "name is not a run id"})
                continue
            try:
                runs.append(read_run(entry, relative_to))
            except RunUnreadable as exc:
                skipped.append({"path": _link(entry, relative_to), "reason": str(exc)})
    runs.sort(key=lambda r: (r["created_at"], r["run_id"]), reverse=True)
    return runs


def _projects(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Size saved per project by its newest run's recommendation; ``kind`` says estimated or measured."""
    newest: dict[str, dict[str, Any]] = {}
    for r in runs:  # newest first
        newest.setdefault(r["project_name"], r)
    out = []
    for name, r in newest.items():
        best = r["best_candidate"] or {}
        delta = best.get("size_delta_bytes")
        out.append({
            "project_name": name, "stack": r["stack"], "run_id": r["run_id"], "created_at": r["created_at"],
            "original_size": r["original"]["size"], "recommended_size": best.get("size"),
            # A delta exists only where both numbers are of one kind (measure.py drops mixed ones).
            "saved_bytes": None if delta is None else -delta,
            "saved_pct": None if best.get("size_delta_pct") is None else -best["size_delta_pct"],
            "kind": best.get("kind") if delta is not None else None,
            "candidate": best.get("title"),
        })
    out.sort(key=lambda p: (-(p["saved_bytes"] if p["saved_bytes"] is not None else float("-inf")), p["project_name"]))
    return out


def _lint(paths: Sequence[Path], relative_to: Path | None,
          skipped: list[dict[str, str]]) -> tuple[list[dict[str, Any]], dict[str, str]]:
    reports, names = [], {}
    seen: set[Path] = set()
    for path in paths:
        key = path.resolve()
        if key in seen:
            continue
        seen.add(key)
        try:
            summary, given = read_lint_report(path)
        except LintReportUnreadable as exc:
            skipped.append({"path": _link(path, relative_to), "reason": f"lint report: {exc}"})
            continue
        reports.append({**summary, "path": _link(path, relative_to)})
        names.update(given)
    reports.sort(key=lambda r: (r["recorded_at"], r["source"]), reverse=True)
    return reports, names


def rule_catalog(codes: Iterable[str], given: dict[str, str]) -> dict[str, dict[str, str | None]]:
    """Name and default level of each code: CODI's registry first, then the name a report gave."""
    out: dict[str, dict[str, str | None]] = {}
    for code in sorted(set(codes)):
        rule = get_rule(code) if code[:2].isalpha() else None
        if rule is not None and rule.code == code:
            out[code] = {"name": rule.name, "level": str(rule.severity.value)}
        elif code.startswith("SC"):
            out[code] = {"name": "ShellCheck", "level": None}
        else:
            out[code] = {"name": given.get(code), "level": None}
    return out


def runs_listing(runs_root: Path) -> dict[str, Any]:
    """Only the runs and the run folders skipped (``GET /runs``): no lint report or scan is read."""
    skipped: list[dict[str, str]] = []
    runs = _run_rows(runs_root, None, skipped)
    return cast(dict[str, Any], redact_data({"runs": runs, "skipped": skipped}))


def build_dataset(runs_root: Path, relative_to: Path | None = None,
                  lint_files: Sequence[Path] = ()) -> dict[str, Any]:
    """The dataset of every run under ``runs_root`` (newest first), the lint reports (``lint_files`` and
    those saved under ``<runs>/_lint``), the scans in ``<runs>/_fleet/fleet.db``, and what was skipped."""
    skipped: list[dict[str, str]] = []
    runs = _run_rows(runs_root, relative_to, skipped)
    spans = read_spans(runs_root)  # the runs' traces (<root>/_traces), read once
    for run in runs:
        run["slowest_stages"] = slowest_stages(runs_root, run["run_id"], 3, spans) if spans else []
    lint, given_names = _lint([*lint_files, *saved_reports(runs_root)], relative_to, skipped)
    scans, scan_error = scan_summaries(runs_root)
    if scan_error:
        skipped.append({"path": _link(runs_root / "_fleet" / "fleet.db", relative_to), "reason": scan_error})
    codes = [c for source in (*lint, *scans) for c in source["by_rule"]]
    data = {
        "schema_version": SCHEMA_VERSION,
        "generated_at": iso(utc_now()),
        "runs_root": _link(runs_root, relative_to),
        "run_count": len(runs),
        "runs": runs,
        "stacks": _stacks(runs),
        "projects": _projects(runs),
        "lint": lint,
        "scans": scans,
        "rules": rule_catalog(codes, given_names),
        "skipped": skipped,
    }
    # Dashboard data describes runs: redacted even where a run was written with --no-redact.
    return cast(dict[str, Any], redact_data(data))
