"""`codi scan --manifest repos.txt`: a thin skin over ``codi.fleet.scan``."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from typing import Annotated

import typer

from codi.cli.app import app, out_root
from codi.cli.errors import fail
from codi.cli.output import _write, jobs_count

PROGRESS_EVERY_S = 30.0  # without a terminal: one progress line at most this often



@app.command("scan")
def scan_cmd(
    ctx: typer.Context,
    manifest: Annotated[str, typer.Option("--manifest", "-m", help="Repositories: one local path or git URL a "
                                                                    "line (# comments, also after the entry), or a "
                                                                    "JSON list of {name, path|url, ref, "
                                                                    "dockerfiles?}.")],
    engine: Annotated[str, typer.Option("--engine", help="Where the work runs: local (a process pool) or ray "
                                                  "(RAY_ADDRESS, else a local Ray cluster).")] = "local",
    db: Annotated[str | None, typer.Option("--db", help="Results database: sqlite:///PATH (default "
                                                        "<out>/_fleet/fleet.db) or postgresql://... "
                                                        "(codi[postgres]; drivers can share a scan).")] = None,
    store: Annotated[str | None, typer.Option("--store", help="Folder for results and reports (default "
                                                              "<out>/_fleet/store) or s3://BUCKET/PREFIX"
                                                              "[?endpoint=URL] (codi[s3]).")] = None,
    jobs: Annotated[int | None, typer.Option("--jobs", "-j", help="Lint worker processes (default: the CPU "
                                                                   "count).")] = None,
    clone_jobs: Annotated[int, typer.Option("--clone-jobs", help="Concurrent clones (separate from --jobs).")] = 4,
    as_json: Annotated[bool, typer.Option("--json", help="Print {scan_id, status, repos, notes} as JSON.")] = False,
    resume: Annotated[str | None, typer.Option("--resume", help="Continue this scan (its finished repositories "
                                                                "are kept).")] = None,
    scan_id: Annotated[str | None, typer.Option("--scan-id", help="Name the scan: created by the first driver, "
                                                                  "joined by others (e.g. one --shard each); its "
                                                                  "status merges theirs.")] = None,
    run: Annotated[bool, typer.Option("--run", help="Also run the estimate-mode pipeline per repository.")] = False,
    shard: Annotated[str | None, typer.Option("--shard", help="i/N: only every N-th repository from the i-th "
                                                              "(i from 0).")] = None,
    out: Annotated[str | None, typer.Option("--out", help="Output root (default ./runs; env CODI_OUTPUT_ROOT).")] = None,
) -> None:
    """Lint every repository of a manifest; results keyed by content, so a re-scan only lints what changed.

    A repository is its normalised path or URL (and ref): two folders named `app` are two rows, named by
    enough of their path to tell them apart (teamA/app, teamB/app); an entry listed twice is scanned once,
    with a note.

    Exit 0 when every repository was scanned, 1 when some failed (the scan is `partial`), 2 for bad input.
    With --shard, the exit code and status are this shard's; `scan_status` in --json is the whole scan's.
    """
    from codi.fleet.db_protocol import DBError
    from codi.fleet.engine import ScanError
    from codi.fleet.manifest import ManifestError, parse_shard
    from codi.fleet.scan import ScanOptions, run_scan
    from codi.store import StoreError

    if clone_jobs < 1:
        raise fail(f"--clone-jobs {clone_jobs}: expected 1 or more")
    try:
        options = ScanOptions(manifest=manifest, out=out_root(ctx, out), engine=engine, db_url=db, store_url=store,
                              jobs=jobs_count(jobs), clone_jobs=clone_jobs, resume=resume, scan_id=scan_id,
                              run=run,
                              shard=parse_shard(shard) if shard else None)
        options.progress, stop_progress = _progress()
        try:
            outcome = run_scan(options)
        finally:
            stop_progress()
    except (ManifestError, ScanError, DBError, StoreError) as exc:
        raise fail(str(exc)) from None
    for note in outcome.notes:
        sys.stderr.write(f"codi: note: {note}\n")
    if as_json:
        _write(json.dumps(outcome.payload(), indent=2) + "\n")
    else:
        for repo in outcome.repos:
            detail = repo.error if repo.status == "failed" else f"{repo.findings} finding(s)"
            _write(f"{repo.status:<7} {repo.name}: {detail}\n")
        counts = {s: sum(r.status == s for r in outcome.repos) for s in ("ok", "cached", "failed")}
        sys.stderr.write(f"codi: scan {outcome.scan_id} {outcome.status}: {counts['ok']} linted, "
                         f"{counts['cached']} cached, {counts['failed']} failed\n")
        if outcome.merged and outcome.merged != outcome.status:
            sys.stderr.write(f"codi: the whole scan (all its drivers) is {outcome.merged}\n")
        for path in outcome.reports.values():
            sys.stderr.write(f"codi: report {path}\n")
    raise typer.Exit(outcome.exit_code)


def _progress() -> tuple[Callable[[int, int, dict[str, int]], None], Callable[[], None]]:
    """Progress on stderr: a bar on a terminal; elsewhere (CI logs) a line every PROGRESS_EVERY_S."""
    if sys.stderr.isatty():
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

        bar = Progress(TextColumn("scanning"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.description}"),
                       console=Console(stderr=True), transient=True)
        task = bar.add_task("", total=None)
        bar.start()

        def on_bar(done: int, total: int, counts: dict[str, int]) -> None:
            bar.update(task, completed=done, total=total, description=_counts(counts))

        return on_bar, bar.stop
    last = time.monotonic()

    def on_line(done: int, total: int, counts: dict[str, int]) -> None:
        nonlocal last
        if time.monotonic() - last >= PROGRESS_EVERY_S and done < total:
            last = time.monotonic()
            sys.stderr.write(f"codi: scanned {done}/{total} repositories ({_counts(counts)})\n")

    return on_line, lambda: None


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{counts.get(s, 0)} {label}" for s, label in (("ok", "linted"), ("cached", "cached"),
                                                                     ("failed", "failed")))
