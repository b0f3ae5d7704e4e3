"""Rich views of an analysis and of a run (stdout)."""

from __future__ import annotations

import os
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.markup import escape
from rich.measure import Measurement
from rich.table import Table

if TYPE_CHECKING:
    from codi.service.analyze import Analysis
    from codi.service.measure import Progress
    from codi.service.run import RunResult

_STAGES = {"analyse": "analysing the project", "candidates": "writing and verifying candidates",
           "build": "building", "rebuild": "re-building", "smoke": "smoke-running",
           "assist": "ranking and explaining", "report": "writing the report"}
# Dropped in this order when the run table is wider than the terminal; the candidate id is never cut.
_DROP_ORDER = ("layers", "resolves", "kind", "risk", "Δ size")


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


def _describe(stage: str, item: str | None, index: int, total: int, detail: str) -> str:
    text = _STAGES.get(stage, stage)
    if item is not None:
        text += f" {item}" + (f" (edit {detail})" if stage == "rebuild" and detail else "")
        text += f", image {index} of {total}" if total else ""
    return text


@contextmanager
def run_progress(real: bool) -> Iterator[Progress | None]:
    """A progress callback for ``codi run``: a Rich spinner with the stage, the image (i of n) and the time
    so far when stderr is a terminal; plain lines on stderr otherwise, for --real builds only (stdout, which
    may carry --json, stays clean)."""
    started = time.monotonic()
    if sys.stderr.isatty():
        from rich.progress import Progress as Bar
        from rich.progress import SpinnerColumn, TextColumn, TimeElapsedColumn

        bar = Bar(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                  console=Console(stderr=True, highlight=False), transient=True)
        with bar:
            task = bar.add_task("starting", total=None)

            def show(stage: str, item: str | None = None, index: int = 0, total: int = 0, detail: str = "") -> None:
                if stage == "done":  # one line per image stays on screen above the spinner
                    bar.console.print(f"{item} ({index} of {total}): {detail}", markup=False)
                else:
                    bar.update(task, description=escape(_describe(stage, item, index, total, detail)))

            yield show
        return
    if not real:
        yield None
        return

    def say(stage: str, item: str | None = None, index: int = 0, total: int = 0, detail: str = "") -> None:
        what = f"{item} ({index} of {total}): {detail}" if stage == "done" else _describe(stage, item, index, total, detail)
        sys.stderr.write(f"codi: [{time.monotonic() - started:6.1f} s] {what}\n")
        sys.stderr.flush()

    yield say


def _smoke(n: Any) -> str:
    """The smoke cell of a measured table: passed/failed/skipped, or "not built" (numbers still estimated:
    the build failed or never ran, so there was no image to run)."""
    if n is None:
        return "?"
    if n.kind != "measured":
        return "not built"
    return str((n.smoke or {}).get("status") or "-")


def _smoke_notes(result: RunResult) -> list[str]:
    lines = []
    numbers = [("original", result.metrics.original)] + [(c.candidate_id, c) for c in result.metrics.candidates]
    for key, n in numbers:
        reason = str((n.smoke or {}).get("reason") or "").strip()
        cell = _smoke(n)
        if cell in ("not built", "failed") and reason:
            lines.append(f"{'not built' if cell == 'not built' else 'smoke failed'}: {key}: {reason}")
    return lines


def _fit(con: Console, build: Any) -> tuple[Table, list[str]]:
    """The widest table that fits the console: columns of ``_DROP_ORDER`` go first, the id is never cut."""
    unbounded = con.options.update_width(10_000)  # the width the table wants, not the one it gets
    dropped: list[str] = []
    table = build(dropped)
    for name in _DROP_ORDER:
        if Measurement.get(con, unbounded, table).maximum <= con.width:
            break
        dropped.append(name)
        table = build(dropped)
    return table, dropped


def show_run(result: RunResult, dry_run: bool, console: Console | None = None) -> None:
    con = console or _console()
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
    orig = result.metrics.original
    numbers = {c.candidate_id: c for c in result.metrics.candidates}
    rows: list[dict[str, str]] = [{
        "candidate": "original", "kind": "-", "risk": "-",
        "size": _size(orig.size_bytes, measured and orig.kind != "measured"), "Δ size": "",
        "layers": str(orig.layers), "resolves": "", "rebuild": _seconds(orig.rebuild_seconds),
        "smoke": _smoke(orig)}]
    for c in rec.candidates:
        n = numbers.get(c.id)
        rows.append({
            "candidate": c.id, "kind": c.kind, "risk": c.risk,
            "size": _size(n.size_bytes if n else None, measured and bool(n) and n.kind != "measured"),
            "Δ size": f"{n.size_delta_pct:+.0f}%" if n and n.size_delta_pct is not None else "?",
            "layers": str(n.layers if n else "?"), "resolves": str(len(c.resolves)),
            "rebuild": _seconds(n.rebuild_seconds) if n else "?", "smoke": _smoke(n)})
    columns = ["candidate", "kind", "risk", "size", "Δ size", "layers", "resolves"]
    columns += ["rebuild", "smoke"] if measured else []
    id_width = max(len(row["candidate"]) for row in rows)

    def build(dropped: list[str]) -> Table:
        shown = [c for c in columns if c not in dropped]
        table = Table(title=f"{rec.project_name} ({rec.stack})", caption=caption, show_lines=False)
        for column in shown:
            if column == "candidate":
                table.add_column(column, no_wrap=True, min_width=id_width)
            else:
                table.add_column(column, overflow="fold")
        for row in rows:
            table.add_row(*(row[c] for c in shown))
        return table

    table, dropped = _fit(con, build)
    con.print(table)
    if dropped:
        con.print(f"(left out at this width: {', '.join(dropped)}; see the report)", markup=False)
    for line in _smoke_notes(result) if measured else []:
        con.print(line, markup=False)
    from codi.telemetry.redact import redact_text

    # Reasons, notes and the model's words may quote the Dockerfile (a build error, a config mismatch).
    scrub = redact_text if rec.options.get("redact", True) else str
    for r in rec.rejected:
        con.print(scrub(f"not offered: {r.rule_id}: {r.reason}"), markup=False)
    for note in rec.notes:
        con.print(scrub(f"note: {note}"), markup=False)
    if rec.recommendation:
        con.print(scrub(f"recommendation: {rec.recommendation.candidate_id or '-'}: {rec.recommendation.reason}"),
                  markup=False)
    if result.model_words:
        con.print(scrub(f"why (the local model, checked against this run's facts): {result.model_words}"),
                  markup=False)
    if result.model_seconds is not None:
        con.print(f"model time: {result.model_seconds:.1f} s", markup=False)
    if not dry_run and result.run_dir is not None:
        con.print(f"report: {result.run_dir / 'reports' / 'report.html'}", markup=False)
        from codi.policy import PolicyError, configured_policy
        from codi.report.adopt import adoption

        try:
            policy = configured_policy()
        except PolicyError:  # reported by the commands that apply a policy
            policy = "conservative"
        adopt = adoption(rec, result.run_dir, policy)
        if adopt is not None:
            con.print(f"adopt {adopt.candidate_id} (writes it over {rec.dockerfile}, keeping {rec.dockerfile}.orig):",
                      markup=False)
            con.print(f"  {adopt.command}", markup=False, soft_wrap=True)
