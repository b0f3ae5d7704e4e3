"""The fleet report of a scan (Markdown and HTML, from templates; HTML autoescaped): per stack,
per rule, the worst repositories, and trends over the last scans. Written to the store under
``reports/<scan_id>/fleet.{md,html}``."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from codi.fleet.db_protocol import ResultDB
from codi.store import Store
from codi.templating import environment

TEMPLATES = Path(__file__).resolve().parent / "templates"
WORST = 10
TREND_SCANS = 10


def report_data(db: ResultDB, scan_id: str) -> dict[str, Any]:
    scan = db.scan(scan_id)
    repos = db.repos(scan_id)
    contents = db.contents(sorted({r.key for r in repos if r.key}))
    stacks: dict[str, dict[str, int]] = {}
    rules: Counter[str] = Counter()
    rule_repos: Counter[str] = Counter()
    for repo in repos:
        row = contents.get(repo.key or "")
        if repo.status == "failed" or row is None:
            continue
        entry = stacks.setdefault(row.stack, {"repos": 0, "findings": 0})
        entry["repos"] += 1
        entry["findings"] += row.findings
        rules.update(row.by_rule)
        rule_repos.update(row.by_rule.keys())
    ok = [r for r in repos if r.status != "failed"]
    worst = sorted(ok, key=lambda r: (-(r.findings or 0), r.name))[:WORST]
    trends = []
    for past in reversed(db.scans(TREND_SCANS)):
        rows = db.repos(past.scan_id)
        trends.append({"scan_id": past.scan_id, "started_at": past.started_at, "status": past.status,
                       "repos": len(rows), "failed": sum(r.status == "failed" for r in rows),
                       "findings": sum(r.findings or 0 for r in rows if r.status != "failed")})
    return {
        "scan_id": scan_id,
        "status": scan.status if scan else "unknown",
        "started_at": scan.started_at if scan else "",
        "repos": len(repos),
        "failed": [r for r in repos if r.status == "failed"],
        "findings": sum(r.findings or 0 for r in ok),
        "stacks": sorted(stacks.items(), key=lambda kv: (-kv[1]["findings"], kv[0])),
        "rules": [(code, n, rule_repos[code]) for code, n in sorted(rules.items(), key=lambda kv: (-kv[1], kv[0]))],
        "worst": worst,
        "trends": trends,
    }


def write_reports(db: ResultDB, store: Store, scan_id: str) -> dict[str, str]:
    data = report_data(db, scan_id)
    out = {}
    for fmt, escape in (("md", False), ("html", True)):
        text = environment([TEMPLATES], autoescape=escape).get_template(f"fleet.{fmt}.j2").render(**data)
        key = f"reports/{scan_id}/fleet.{fmt}"
        store.put(key, text.encode("utf-8"))
        out[fmt] = store.locate(key)
    return out
