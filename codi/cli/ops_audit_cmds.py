"""`codi audit verify|seal`: check the audit log's keyed hash chain; anchor an older unkeyed one."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from codi.cli.app import app, out_root

audit_app = typer.Typer(help="The audit log: who ran, fixed, backed up or installed what.", no_args_is_help=True)
app.add_typer(audit_app, name="audit")

SCHEMA_VERSION = 1


LogOpt = Annotated[str | None, typer.Option("--log", help="The audit log (default: CODI_AUDIT_LOG, else "
                                                       "<out>/_audit/audit.jsonl).")]
OutOpt = Annotated[str | None, typer.Option("--out", help="Runs folder whose _audit/audit.jsonl to check "
                                                       "(default: env CODI_OUTPUT_ROOT, else ./runs).")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print the result as JSON.")]


def _path(ctx: typer.Context, log: str | None, out: str | None) -> Path:
    from codi.telemetry.audit import audit_log_path

    return Path(log) if log else audit_log_path(out_root(ctx, out))


def _verify(path: Path) -> Any:
    from codi.telemetry.audit import AuditError
    from codi.telemetry.audit_verify import verify_log

    try:
        return verify_log(path)
    except AuditError as exc:
        sys.stderr.write(f"codi: error: {exc}\n")
        raise typer.Exit(2) from None


@audit_app.command("verify")
def verify_cmd(ctx: typer.Context, log: LogOpt = None, out: OutOpt = None, as_json: JsonOpt = False) -> None:
    """Check every line's HMAC and the prev_hash chain, rotated files included, and the .head sidecar.

    The key is CODI_AUDIT_KEY_FILE, else audit.key in the operator's state folder (CODI_STATE_DIR, else
    ~/.local/state/codi). A log written before the chain was keyed is an "unkeyed legacy chain": intact
    proves nothing until `codi audit seal` anchors it.
    Exit 0 when the chain is keyed and intact; 1 naming the first edited or deleted line, a missing or
    rewritten .head, or an unkeyed legacy chain; 2 when there is no log or no usable key.
    """
    from codi.telemetry.audit_key import audit_key_path

    result = _verify(_path(ctx, log, out))
    if as_json:
        payload = {"schema_version": SCHEMA_VERSION, "path": result.path, "ok": result.ok, "status": result.status,
                   "lines": result.lines, "legacy_lines": result.legacy_lines, "files": result.files,
                   "bad_file": result.bad_file, "bad_line": result.bad_line, "reason": result.reason,
                   "notes": result.notes, "key_file": str(audit_key_path())}
        sys.stdout.write(json.dumps(payload, indent=2) + "\n")
    elif result.status == "ok":
        sys.stdout.write(f"audit log ok: {result.lines} line(s) in {len(result.files)} file(s), keyed chain intact\n")
        for note in result.notes:
            sys.stderr.write(f"note: {note}\n")
    if result.status == "legacy":
        sys.stderr.write(f"codi: error: {result.path}: unkeyed legacy chain: {result.lines} line(s) hash-chained "
                         "without a key, so nothing proves they were not rewritten; check them, then "
                         "`codi audit seal` anchors them under the audit key\n")
        raise typer.Exit(1)
    if not result.ok:
        where = f"{result.bad_file}:{result.bad_line}" if result.bad_line else f"{result.bad_file}"
        sys.stderr.write(f"codi: error: {where}: {result.reason}\n")
        raise typer.Exit(1)


@audit_app.command("seal")
def seal_cmd(ctx: typer.Context, log: LogOpt = None, out: OutOpt = None, as_json: JsonOpt = False) -> None:
    """Anchor an intact unkeyed legacy chain under the audit key: verify it, then append a keyed `seal` line.

    Run it once after upgrading from a CODI whose audit chain was unkeyed (any audited action does the same).
    Exit 0 sealed (or already keyed); 1 the chain is broken (nothing written); 2 no log or no usable key.
    """
    from codi.telemetry.audit import AuditError, seal_log

    path = _path(ctx, log, out)
    result = _verify(path)
    if not result.ok:
        where = f"{result.bad_file}:{result.bad_line}" if result.bad_line else f"{result.bad_file}"
        sys.stderr.write(f"codi: error: {where}: {result.reason}; nothing sealed\n")
        raise typer.Exit(1)
    if result.status == "legacy":
        try:
            seal_log(path, result.legacy_lines)
        except AuditError as exc:
            sys.stderr.write(f"codi: error: {exc}\n")
            raise typer.Exit(2) from None
    sealed = result.status == "legacy"
    if as_json:
        sys.stdout.write(json.dumps({"schema_version": SCHEMA_VERSION, "path": str(path), "sealed": sealed,
                                     "legacy_lines": result.legacy_lines}, indent=2) + "\n")
    else:
        sys.stdout.write(f"{path}: sealed {result.legacy_lines} legacy line(s) under the audit key\n" if sealed
                         else f"{path}: already keyed, nothing to seal\n")
