"""Entry point: import the command modules (each attaches to ``app``) and run."""

from __future__ import annotations

import importlib
import os
import sys
import traceback

import typer

from codi.cli.app import app
from codi.cli.examples import add_examples
from codi.cli.groups import PARENTS, children, group
from codi.config.extras import MissingExtra, extra_for
from codi.config.flags import debug_enabled

# One module per command group; each does ``@app.command(...)`` at import.
_COMMAND_MODULES = ("parse_cmd", "lint_cmd", "rules_cmd", "fix_cmd", "project_cmds", "llm_cmds", "serve_cmds", "build_cmds",
                    "ops_bundle_cmds", "ops_doctor_cmds", "ops_backup_cmds", "ops_audit_cmds", "data_cmds",
                    "scan_cmds", "train_cmds")


# The modules that register each top-level command or group, or add to it (`adapter promote` comes
# from train_cmds); tests/cli/test_lazy_commands.py keeps this true. `codi lint ...` then imports
# lint_cmd alone: a fifth of the start-up time. `codi`, `--help`, a global option first or an
# unknown name import them all, so help and errors list every command.
_COMMAND_MODULE: dict[str, tuple[str, ...]] = {
    "parse": ("parse_cmd",), "lint": ("lint_cmd",), "rules": ("rules_cmd", "ops_bundle_cmds"), "rule": ("rules_cmd",),
    "fix": ("fix_cmd",), "analyze": ("project_cmds",), "rewrite": ("project_cmds",), "run": ("project_cmds",),
    "all": ("project_cmds",), "report": ("project_cmds",), "llm": ("llm_cmds",),
    "adapter": ("llm_cmds", "ops_bundle_cmds", "train_cmds"), "index": ("llm_cmds",), "serve": ("serve_cmds",),
    "dashboard": ("serve_cmds",), "stack": ("serve_cmds",), "perf": ("build_cmds",), "bases": ("build_cmds",),
    "bundle": ("ops_bundle_cmds",), "doctor": ("ops_doctor_cmds",), "backup": ("ops_backup_cmds",),
    "runs": ("ops_backup_cmds",), "audit": ("ops_audit_cmds",), "data": ("data_cmds",),
    "metrics": ("data_cmds",), "scan": ("scan_cmds",), "train": ("train_cmds",), "eval": ("train_cmds",),
}


def command_modules(argv: list[str]) -> tuple[str, ...]:
    """The command modules to import for this command line, in the usual order."""
    first = argv[1] if len(argv) > 1 else ""
    if first in PARENTS:  # `codi ops doctor`: the modules of the parent's commands
        wanted = {m for child in children(first) for m in _COMMAND_MODULE.get(child, ())}
        return tuple(m for m in _COMMAND_MODULES if m in wanted)
    if first not in _COMMAND_MODULE:
        return _COMMAND_MODULES
    return tuple(m for m in _COMMAND_MODULES if m in _COMMAND_MODULE[first])


def _missing_extra(exc: Exception) -> None:
    """A capability whose extra is not installed is a usage error: one line naming the extra, exit 2."""
    if isinstance(exc, MissingExtra):
        message = str(exc)
    elif isinstance(exc, ModuleNotFoundError) and (extra := extra_for(exc)):
        what = next((a for a in sys.argv[1:] if not a.startswith("-")), "this command")
        message = str(MissingExtra(extra, f"codi {what}", exc.name))
    else:
        return
    sys.stderr.write(f"codi: error: {message}\n")
    sys.exit(2)


def main() -> None:
    if sys.argv[1:2] in (["run"], ["all"]):
        from codi.llm.worker import start_for

        start_for(sys.argv[2:])  # the model loads in a process of its own while CODI analyses (codi.llm.worker)
    for name in command_modules(sys.argv):
        try:
            importlib.import_module(f"codi.cli.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"codi.cli.{name}":
                raise
    from codi.llm.airgap import install

    install()  # AIRGAP (default on): no connection leaves the machine except to allowed hosts
    if isinstance(app, typer.Typer):  # (tests replace it with a function)
        group(app)  # maintainer commands under `codi ops` / `codi model`; old names hidden, still working
        add_examples(app)
    try:
        app()
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        sys.exit(130)
    except Exception as exc:  # a bug of ours: one line for the user, the traceback only on request
        if debug_enabled():
            raise
        _missing_extra(exc)
        where = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
        at = f" at {os.path.basename(where.filename)}:{where.lineno}" if where else ""
        sys.stderr.write(f"codi: internal error: {type(exc).__name__}: {exc}{at} "
                         "(a bug in CODI: please report it; CODI_DEBUG=1 shows the traceback)\n")
        sys.exit(3)
