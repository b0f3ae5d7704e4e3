"""Entry point: import the command modules (each attaches to ``app``) and run."""

from __future__ import annotations

import importlib
import sys

from codi.cli.app import app

# One module per command group; each does ``@app.command(...)`` at import.
_COMMAND_MODULES = ("parse_cmd", "lint_cmd", "rules_cmd", "fix_cmd", "project_cmds", "llm_cmds", "serve_cmds", "build_cmds")


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
