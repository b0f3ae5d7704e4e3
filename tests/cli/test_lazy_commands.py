"""`codi <command>` imports only the module of that command (start-up time); the map in
codi.cli.main must name, for every command and group, the module that registers it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import typer

from codi.cli import main as cli_main
from codi.cli.app import app

REPO = Path(__file__).resolve().parents[2]


def _modules(group: typer.Typer) -> set[str]:
    """The modules of every command under ``group``, sub-groups included."""
    found = {c.callback.__module__ for c in group.registered_commands if c.callback is not None}
    for sub in group.registered_groups:
        found |= _modules(sub.typer_instance)
    return found


def _registered() -> dict[str, set[str]]:
    """Command or group name -> the codi.cli modules that register it or add to it (all imported)."""
    for name in cli_main._COMMAND_MODULES:
        __import__(f"codi.cli.{name}")
    found: dict[str, set[str]] = {}
    for command in app.registered_commands:
        assert command.callback is not None
        found[command.name or command.callback.__name__] = {command.callback.__module__}
    for group in app.registered_groups:
        assert group.name is not None
        found[group.name] = _modules(group.typer_instance)
    return found


def test_the_map_names_every_command_and_its_modules() -> None:
    registered = {n: m for n, m in _registered().items() if m != {"codi.cli.app"}}
    expected = {name: {f"codi.cli.{m}" for m in modules} for name, modules in cli_main._COMMAND_MODULE.items()}
    assert registered == expected


def test_only_the_named_commands_module_is_imported() -> None:
    assert cli_main.command_modules(["codi", "lint", "Dockerfile"]) == ("lint_cmd",)
    assert cli_main.command_modules(["codi", "index", "rebuild"]) == ("llm_cmds",)
    assert cli_main.command_modules(["codi", "adapter", "promote"]) == ("llm_cmds", "ops_bundle_cmds", "train_cmds")
    for argv in (["codi"], ["codi", "--help"], ["codi", "--out", "runs", "run", "."], ["codi", "lnit"]):
        assert cli_main.command_modules(argv) == cli_main._COMMAND_MODULES


def test_help_and_typos_still_see_every_command() -> None:
    def codi(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "codi", *args], cwd=REPO, capture_output=True, text=True,
                              timeout=120, env={"PATH": "/usr/bin:/bin", "NO_COLOR": "1", "COLUMNS": "200"})

    listed = codi("--help")
    assert listed.returncode == 0 and all(name in listed.stdout for name in cli_main._COMMAND_MODULE)
    typo = codi("lnit")
    assert typo.returncode == 2 and "No such command" in typo.stderr
    one = codi("lint", "--help")
    assert one.returncode == 0 and "--jobs" in one.stdout
    extended = codi("adapter", "--help")  # a group other modules add to lists all its commands
    assert extended.returncode == 0 and all(c in extended.stdout for c in ("verify", "promote"))
