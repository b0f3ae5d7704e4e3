"""`codi doctor`: preflight checks of this installation and of what it keeps (see codi.ops.doctor)."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer

from codi.cli.app import app, out_root
from codi.cli.errors import fail

_HELP = ("Check Python, dependencies, ShellCheck, catalog, model, LLM endpoints, adapter, run memory, output "
         "root and disk, build engine, air-gap, API key, audit log, backups and drills.\n\n"
         "Each check prints ok, WARN or FAIL with a reason and a fix. Exit 0 when nothing fails, 1 when a check "
         "fails, 2 for a usage error.\n\n"
         "CODI_PRODUCTION=1 (or --production) turns the production warnings into failures; "
         "CODI_ENFORCE_<CHECK>=1|0 sets each one.")


@app.command("doctor", help=_HELP)
def doctor_cmd(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print the checks as JSON.")] = False,
    out: Annotated[str | None, typer.Option("--out", help="Output root to check (env CODI_OUTPUT_ROOT, "
                                                          "default ./runs).")] = None,
    host: Annotated[str | None, typer.Option("--host", help="The address `codi serve` would bind "
                                                            "(default CODI_HOST, else 127.0.0.1).")] = None,
    production: Annotated[bool | None, typer.Option("--production/--no-production",
                                                    help="Judge as production mode (default: CODI_PRODUCTION).")] = None,
    check: Annotated[list[str] | None, typer.Option("--check", help="Run only this check (repeatable).")] = None,
) -> None:
    from codi.ops.doctor import CHECK_NAMES, render_text, report, run_checks
    from codi.ops.doctor_model import Context

    unknown = [c for c in check or [] if c not in CHECK_NAMES]
    if unknown:
        raise fail(f"unknown check {unknown[0]!r} (choose from {', '.join(CHECK_NAMES)})")
    context = Context.create(out_root(ctx, out), host, production)
    results = run_checks(context, tuple(check) if check else None)
    if as_json:
        sys.stdout.write(json.dumps(report(context, results), indent=2) + "\n")
    else:
        sys.stdout.write(render_text(context, results))
    raise typer.Exit(1 if any(r.status == "fail" for r in results) else 0)
