"""`codi lint` results for the dashboard: the JSON or SARIF files that `codi lint` wrote.

A lint report reaches the dashboard in one of two ways, both only files on this machine:
``codi dashboard --lint FILE`` (any number), or a file saved under ``<runs>/_lint/`` (read on every
build, so the served ``/dashboard`` shows it too), e.g.
``codi lint . --format sarif --output-file runs/_lint/app.sarif``.
Accepted: ``--format json`` (CODI's or hadolint's list of findings) and ``--format sarif``. A report's
date is SARIF's ``invocations[].startTimeUtc`` where given, else the file's modification time.
"""

from __future__ import annotations

import json
import os
import stat
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

LINT_DIR = "_lint"
MAX_REPORT_BYTES = 32 * 1024 * 1024
SUFFIXES = (".json", ".sarif")


class LintReportUnreadable(Exception):
    """A file that is not a lint report CODI can read (the message says why)."""


def _mtime(st: os.stat_result) -> str:
    return datetime.fromtimestamp(st.st_mtime, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _from_json_list(items: list[Any]) -> tuple[list[tuple[str, str, str]], dict[str, str]]:
    findings, names = [], {}
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("code"), str):
            raise LintReportUnreadable("a JSON list whose items are not findings (no \"code\")")
        findings.append((item["code"], str(item.get("level") or ""), str(item.get("file") or "")))
        if isinstance(item.get("name"), str) and item["name"]:
            names[item["code"]] = item["name"]
    return findings, names


def _from_sarif(doc: dict[str, Any]) -> tuple[list[tuple[str, str, str]], dict[str, str], str | None]:
    findings, names, started = [], {}, None
    runs = doc.get("runs")
    if not isinstance(runs, list):
        raise LintReportUnreadable("SARIF without a \"runs\" list")
    for run in runs:
        driver = ((run or {}).get("tool") or {}).get("driver") or {}
        for rule in driver.get("rules") or []:
            if isinstance(rule, dict) and isinstance(rule.get("id"), str) and isinstance(rule.get("name"), str):
                names[rule["id"]] = rule["name"]
        for inv in run.get("invocations") or []:
            if isinstance(inv, dict) and isinstance(inv.get("startTimeUtc"), str):
                started = started or inv["startTimeUtc"]
        for res in run.get("results") or []:
            if not isinstance(res, dict) or not isinstance(res.get("ruleId"), str):
                continue
            locs = res.get("locations") or [{}]
            uri = (((locs[0] or {}).get("physicalLocation") or {}).get("artifactLocation") or {}).get("uri")
            findings.append((res["ruleId"], str(res.get("level") or ""), str(uri or "")))
    return findings, names, started


def read_lint_report(path: Path) -> tuple[dict[str, Any], dict[str, str]]:
    """(the report's summary, the rule names it gives); raises LintReportUnreadable."""
    try:
        st = path.stat()
        if not stat.S_ISREG(st.st_mode):
            raise LintReportUnreadable("not a regular file")
        if st.st_size > MAX_REPORT_BYTES:
            raise LintReportUnreadable(f"larger than {MAX_REPORT_BYTES // (1024 * 1024)} MiB")
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise LintReportUnreadable("no such file") from None
    except (OSError, ValueError) as exc:
        raise LintReportUnreadable(f"not JSON: {exc}") from None
    started = None
    if isinstance(doc, list):
        fmt = "json"
        findings, names = _from_json_list(doc)
    elif isinstance(doc, dict) and "runs" in doc:
        fmt = "sarif"
        findings, names, started = _from_sarif(doc)
    else:
        raise LintReportUnreadable("neither `codi lint --format json` nor `--format sarif` output")
    by_rule = Counter(code for code, _, _ in findings)
    by_level = Counter(level for _, level, _ in findings if level)
    summary = {
        "source": path.name,
        "format": fmt,
        "recorded_at": started or _mtime(st),
        "findings": len(findings),
        "files_with_findings": len({f for _, _, f in findings if f}),
        "by_rule": dict(sorted(by_rule.items(), key=lambda kv: (-kv[1], kv[0]))),
        "by_level": dict(sorted(by_level.items())),
    }
    return summary, names


def saved_reports(runs_root: Path) -> list[Path]:
    """The lint reports saved under ``<runs>/_lint/``: regular files only (no link out of the folder)."""
    folder = runs_root / LINT_DIR
    if not folder.is_dir() or folder.is_symlink():
        return []
    return sorted(p for p in folder.iterdir()
                  if p.suffix.lower() in SUFFIXES and not p.name.startswith(".") and not p.is_symlink())
