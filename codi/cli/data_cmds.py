"""`codi data build` (training pairs from a corpus) and `codi metrics summarize` (one table of run telemetry)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from codi.cli.app import app
from codi.cli.errors import fail

data_app = typer.Typer(help="Training data for the local model, built from CODI's own facts.", no_args_is_help=True)
metrics_app = typer.Typer(help="Training and run telemetry.", no_args_is_help=True)
app.add_typer(data_app, name="data")
app.add_typer(metrics_app, name="metrics")



@data_app.command("build")
def data_build(
    ctx: typer.Context,
    corpus: Annotated[Path | None, typer.Option("--corpus", help=(
        "A folder of Dockerfiles with MANIFEST.tsv (or its parent holding dockerfiles/). Default: the bundled "
        "fixture corpus when --projects is not given either."))] = None,
    projects: Annotated[Path | None, typer.Option("--projects", help="A folder of project folders.")] = None,
    out: Annotated[Path | None, typer.Option("--out-dir", metavar="DIR", show_default=False,
                                             help="Where train/val/test.jsonl and the card go.")] = None,
    out_alias: Annotated[Path | None, typer.Option("--out", hidden=True, help="Old name of --out-dir.")] = None,
    limit: Annotated[int | None, typer.Option("--limit", min=1, help="A seeded sample of this many sources.")] = None,
    seed: Annotated[int, typer.Option("--seed", help="Split and phrasing seed.")] = 13,
    as_json: Annotated[bool, typer.Option("--json", help="Print the data card as JSON.")] = False,
) -> None:
    """Make rank/explain/rewrite pairs in the runtime's prompt format, split 80/10/10 by source and stack."""
    from codi.training.corpus import BUNDLED_CORPUS
    from codi.training.data import BuildOptions, build

    root = (ctx.obj or {}).get("out") if ctx.obj else None
    target = out or out_alias or (Path(root) if root else None)
    if target is None:
        raise fail("--out-dir DIR is required")
    for flag, path in (("--corpus", corpus), ("--projects", projects)):
        if path is not None and not path.is_dir():
            raise fail(f"{flag} {path}: no such folder")
    if corpus is None and projects is None:
        corpus = BUNDLED_CORPUS
        sys.stderr.write(f"codi data: no --corpus or --projects; using the bundled fixture corpus {corpus}\n")
    card = build(BuildOptions(out=target, corpus=corpus, projects=projects, limit=limit, seed=seed))
    if as_json:
        typer.echo(json.dumps(card, indent=2))
    else:
        counts = ", ".join(f"{split} {n}" for split, n in card["pairs"].items())
        typer.echo(f"{sum(card['pairs'].values())} pairs ({counts}) from {card['sources']['total']} sources "
                   f"in {target}; data card: {target / 'DATA_CARD.md'}")


@metrics_app.command("summarize")
def metrics_summarize(
    input_dir: Annotated[Path, typer.Option("--input", help=(
        "A folder holding metrics.ndjson files (training runs) and/or CODI run directories."))],
    fmt: Annotated[str, typer.Option("--format", help="csv, json or table.")] = "table",
) -> None:
    """Count, first, last, min, max and mean per metric, grouped by run, split and phase."""
    from codi.training.metrics_summary import FORMATS, render, summarize

    if fmt not in FORMATS:
        raise fail(f"--format {fmt}: choose one of {', '.join(FORMATS)}")
    if not input_dir.exists():
        raise fail(f"--input {input_dir}: no such file or folder")
    summary = summarize(input_dir)
    typer.echo(render(summary, fmt), nl=False)
    if summary.bad_lines:
        sys.stderr.write(f"codi metrics: skipped {summary.bad_lines} bad line(s)\n")
