"""`codi audit verify`: check the audit log's hash chain (exit 1 naming the first bad line)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from codi.cli.app import app

audit_app = typer.Typer(help="The audit log: who ran, fixed, backed up or installed what.", no_args_is_help=True)
app.add_typer(audit_app, name="audit")

SCHEMA_VERSION = 1


@audit_app.command("verify")
def verify_cmd(
    ctx: typer.Context,
    log: Annotated[str | None, typer.Option("--log", help="The audit log (default: CODI_AUDIT_LOG, else "
                                                          "<out>/_audit/audit.jsonl).")] = None,
    out: Annotated[str | None, typer.Option("--out", help="Runs folder whose _audit/audit.jsonl to check "
                                                          "(default: env CODI_OUTPUT_ROOT, else ./runs).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Check every line's hash and the prev_hash chain, rotated files included.

    Exit 0 when the chain is intact, 1 naming the first edited or deleted line, 2 when there is no log.
    """
    from codi.telemetry.audit import AuditError, audit_log_path, verify_log

    root = out or (ctx.obj or {}).get("out") or os.environ.get("CODI_OUTPUT_ROOT") or "runs"
    path = Path(log) if log else audit_log_path(Path(root))
    try:
        result = verify_log(path)
    except AuditError as exc:
        sys.stderr.write(f"codi: error: {exc}\n")
        raise typer.Exit(2) from None
    if as_json:
        payload = {"schema_version": SCHEMA_VERSION, "path": result.path, "ok": result.ok, "lines": result.lines,
                   "files": result.files, "bad_file": result.bad_file, "bad_line": result.bad_line,
                   "reason": result.reason, "notes": result.notes}
        sys.stdout.write(json.dumps(payload, indent=2) + "\n")
    elif result.ok:
        sys.stdout.write(f"audit log ok: {result.lines} line(s) in {len(result.files)} file(s), chain intact\n")
        for note in result.notes:
            sys.stderr.write(f"note: {note}\n")
    if not result.ok:
        sys.stderr.write(f"codi: error: {result.bad_file}:{result.bad_line}: {result.reason}\n")
        raise typer.Exit(1)
