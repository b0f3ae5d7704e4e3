"""Render reports/report.md and reports/report.html from a run directory's artefacts.

Everything is read from the run directory (so a moved run can still be reported); HTML is
rendered with autoescape on, so text from Dockerfiles can never become markup.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jinja2

from codi.artifacts.models import MetricsRecord, RunRecord
from codi.atomic import atomic_write_text
from codi.optimise.estimate import KNOWN_ERROR
from codi.report.adopt import adoption
from codi.report.contract_table import contract_rows
from codi.telemetry.redact import redact_text
from codi.templating import environment

TEMPLATES = Path(__file__).resolve().parent / "templates"


class ReportError(Exception):
    """A run directory that cannot be reported (missing or invalid artefacts)."""


def _load(run_dir: Path, name: str) -> dict[str, Any]:
    path = run_dir / "metadata" / f"{name}.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ReportError(f"{run_dir}: not a CODI run directory (missing metadata/{name}.json)") from None
    except (OSError, ValueError) as exc:
        raise ReportError(f"{path}: cannot read: {exc}") from None
    if not isinstance(data, dict):
        raise ReportError(f"{path}: expected a JSON object")
    return data


def _optional(run_dir: Path, name: str) -> dict[str, Any] | None:
    try:
        return _load(run_dir, name)
    except ReportError:
        return None


def human_bytes(value: int | float | None) -> str:
    if value is None:
        return "unknown"
    size = float(abs(value))
    sign = "-" if value < 0 else ""
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{sign}{size:.0f} {unit}" if unit == "B" else f"{sign}{size:.1f} {unit}"
        size /= 1000
    return f"{value} B"


def report_data(run_dir: Path) -> dict[str, Any]:
    try:
        run = RunRecord.model_validate(_load(run_dir, "run"))
        metrics = MetricsRecord.model_validate(_load(run_dir, "metrics"))
    except ReportError:
        raise
    except ValueError as exc:
        raise ReportError(f"{run_dir}: artefacts do not match their schema: {exc}") from None
    analysis = _optional(run_dir, "analysis") or {}
    numbers = {c.candidate_id: c for c in metrics.candidates}
    environment = _optional(run_dir, "environment") or {}
    policy = _policy(run)
    return {
        "run": run,
        "metrics": metrics,
        "analysis": analysis,
        "numbers": numbers,
        "llm": _optional(run_dir, "llm_metrics"),
        "explain": _optional(run_dir, "explain"),
        "rag": _optional(run_dir, "rag"),
        "environment": environment,
        "contracts": {c.id: contract_rows(run.contract, c.contract, c.contract_changes) for c in run.candidates},
        "config_check": (environment.get("engine") or {}).get("config_check") or {},
        "policy": policy,
        "adopt": adoption(run, run_dir, policy["name"] or "conservative"),
        "known_error": KNOWN_ERROR,
    }


def _policy(run: Any) -> dict[str, Any]:
    """The risk policy in force (run option, else CODI_RISK_POLICY) and, per candidate, whether
    `codi rewrite --apply` may apply it without asking ("applied") or only proposes it."""
    from codi.policy import configured_policy, decision, parse_policy

    try:
        name = parse_policy(str(run.options.get("risk_policy"))) if run.options.get("risk_policy") \
            else configured_policy()
    except Exception:  # a bad CODI_RISK_POLICY is reported by the commands that use it, not by a report
        return {"name": None, "decisions": {}}
    return {"name": name, "decisions": {c.id: decision(name, c.risk) for c in run.candidates}}


def md_cell(value: object) -> str:
    """Text safe inside one Markdown table cell: pipes escaped, line breaks folded."""
    return " ".join(str(value).split()).replace("|", "\\|")


def rejected_headline(rejected: Any) -> str:
    """A rejection's reason without the violation messages the report lists under it (once, not twice)."""
    reason = str(rejected.reason)
    for listed in (rejected.violations, getattr(rejected, "review_problems", [])):
        joined = "; ".join(v.message for v in listed)
        if joined and reason.endswith(joined):
            return reason[: -len(joined)].rstrip().rstrip(":").rstrip() or reason
    return reason


def smoke_label(numbers: Any) -> str:
    """A smoke column cell: "not built" for an image that never built (its numbers stay estimated)."""
    def field(name: str) -> Any:
        return numbers.get(name) if isinstance(numbers, dict) else getattr(numbers, name, None)

    status = (field("smoke") or {}).get("status")
    if status is None:
        return "n/a"
    if status == "failed" and field("kind") == "estimated":
        return "not built"
    return str(status)


def _env(autoescape: bool) -> jinja2.Environment:
    env = environment([TEMPLATES], autoescape=autoescape, trim_blocks=True, lstrip_blocks=True)
    env.filters["bytes"] = human_bytes
    env.filters["cell"] = md_cell
    env.filters["smoke"] = smoke_label
    env.filters["headline"] = rejected_headline
    return env


def render_reports(run_dir: Path) -> tuple[Path, Path]:
    """(Re-)write reports/report.md and reports/report.html; return their paths."""
    data = report_data(run_dir)
    md = _env(autoescape=False).get_template("report.md.j2").render(data)
    html = _env(autoescape=True).get_template("report.html.j2").render(data)
    out = run_dir / "reports"
    out.mkdir(exist_ok=True)
    scrub = redact_text if data["run"].options.get("redact", True) else str  # --no-redact runs stay as written
    atomic_write_text(out / "report.md", scrub(md))
    atomic_write_text(out / "report.html", scrub(html))
    return out / "report.md", out / "report.html"
