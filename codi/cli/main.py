"""Entry point: import the command modules (each attaches to ``app``) and run."""

from __future__ import annotations

import importlib
import os
import sys
import traceback

from codi.cli.app import app

# One module per command group; each does ``@app.command(...)`` at import.
_COMMAND_MODULES = ("parse_cmd", "lint_cmd", "rules_cmd", "fix_cmd", "project_cmds", "llm_cmds", "serve_cmds", "build_cmds",
                    "ops_bundle_cmds", "ops_doctor_cmds", "ops_backup_cmds", "ops_audit_cmds", "data_cmds",
                    "scan_cmds", "train_cmds")


def main() -> None:
    for name in _COMMAND_MODULES:
        try:
            importlib.import_module(f"codi.cli.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"codi.cli.{name}":
                raise
    from codi.llm.airgap import install

    install()  # AIRGAP (default on): no connection leaves the machine except to allowed hosts
    try:
        app()
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        sys.exit(130)
    except Exception as exc:  # a bug of ours: one line for the user, the traceback only on request
        if os.environ.get("CODI_DEBUG"):
            raise
        where = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
        at = f" at {os.path.basename(where.filename)}:{where.lineno}" if where else ""
        sys.stderr.write(f"codi: internal error: {type(exc).__name__}: {exc}{at} "
                         "(a bug in CODI: please report it; CODI_DEBUG=1 shows the traceback)\n")
        sys.exit(3)
