"""Rich views of an analysis and of a run (stdout)."""

from __future__ import annotations

import os
import sys
from collections import Counter
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    from codi.service.analyze import Analysis
    from codi.service.run import RunResult


def _console() -> Console:
    # Piped output (CI logs) is not cut to 80 columns: the run table needs about 110.
    width = None if sys.stdout.isatty() or os.environ.get("COLUMNS") else 120
    return Console(highlight=False, soft_wrap=True, width=width)


def show_analysis(a: Analysis) -> None:
    con = _console()
    con.print(f"[bold]{a.project.name}[/bold]  Dockerfile [cyan]{a.dockerfile_rel}[/cyan], "
              f"{len(a.model.stages)} stage(s)")
    p = a.detection.primary
    if p is None:
        con.print("stack: [yellow]unknown[/yellow] (no manifest or base image CODI recognises; use --stack)")
    else:
        con.print(f"stack: [bold]{p.stack}[/bold] ({p.package_manager or 'no package manager'}), "
                  f"confidence {p.confidence:.2f}")
        for ev in p.evidence:
            where = f"{ev.file}:{ev.line}" if ev.line else ev.file
            con.print(f"  evidence: {where}  {ev.matched}", markup=False)
        for fw in p.frameworks:
            con.print(f"  framework: {fw.name} ({fw.evidence.file}:{fw.evidence.line})", markup=False)
        if p.entrypoint is not None:
            con.print(f"  entrypoint: {' '.join(p.entrypoint.argv)}  ({p.entrypoint.source})", markup=False)
        else:
            con.print("  entrypoint: not derivable from the project; candidates keep the original command")
    for other in a.detection.others:
        con.print(f"also: {other.stack} (confidence {other.confidence:.2f})")
    levels = Counter(f.severity.value for f in a.findings)
    summary = ", ".join(f"{levels[k]} {k}" for k in ("error", "warning", "info", "style") if levels[k]) or "none"
    con.print(f"findings: {len(a.findings)} ({summary}); see `codi lint {a.dockerfile_path}`")


def _size(value: int | None, starred: bool = False) -> str:
    if value is None:
        return "?"
    return f"{value / 1e6:,.0f} MB" + ("*" if starred else "")


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f} s"


def _smoke(smoke: dict[str, Any] | None) -> str:
    return str((smoke or {}).get("status") or "-")


def show_run(result: RunResult, dry_run: bool) -> None:
    con = _console()
    rec = result.record
    if dry_run:
        con.print(f"[bold]dry run[/bold]: nothing written; a run of {rec.project_name} ({rec.stack}) would write:")
        for path in result.planned:
            con.print(f"  <run dir>/{path}", markup=False)
    else:
        con.print(f"run: [bold]{rec.run_id}[/bold]")
        con.print(f"run dir: {result.run_dir}", markup=False)
    kinds = {result.metrics.original.kind} | {c.kind for c in result.metrics.candidates}
    measured = "measured" in kinds
    caption = "sizes are estimated (see the report for how); `--real` measures" if kinds == {"estimated"} else None
    if measured and "estimated" in kinds:
        caption = "sizes measured by a real build; * estimated: not built (see the report for why)"
    elif measured:
        caption = "sizes measured by a real build"
    table = Table(title=f"{rec.project_name} ({rec.stack})", caption=caption, show_lines=False)
    columns = ["candidate", "kind", "risk", "size", "Δ size", "layers", "resolves"]
    columns += ["rebuild", "smoke"] if measured else []
    for column in columns:
        table.add_column(column)
    orig = result.metrics.original
    extra = [_seconds(orig.rebuild_seconds), _smoke(orig.smoke)] if measured else []
    table.add_row("original", "-", "-", _size(orig.size_bytes, measured and orig.kind != "measured"), "",
                  str(orig.layers), "", *extra)
    numbers = {c.candidate_id: c for c in result.metrics.candidates}
    for c in rec.candidates:
        n = numbers.get(c.id)
        delta = f"{n.size_delta_pct:+.0f}%" if n and n.size_delta_pct is not None else "?"
        extra = [_seconds(n.rebuild_seconds), _smoke(n.smoke)] if measured and n else ["?"] * 2 if measured else []
        table.add_row(c.id, c.kind, c.risk, _size(n.size_bytes if n else None, measured and bool(n) and n.kind != "measured"),
                      delta, str(n.layers if n else "?"), str(len(c.resolves)), *extra)
    con.print(table)
    for r in rec.rejected:
        con.print(f"not offered: {r.rule_id}: {r.reason}", markup=False)
    for note in rec.notes:
        con.print(f"note: {note}", markup=False)
    if rec.recommendation:
        con.print(f"recommendation: {rec.recommendation.candidate_id or '-'}: {rec.recommendation.reason}", markup=False)
    if not dry_run and result.run_dir is not None:
        con.print(f"report: {result.run_dir / 'reports' / 'report.html'}", markup=False)
