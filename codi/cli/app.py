"""The Typer application every command module attaches to."""

from __future__ import annotations

from pathlib import Path

import typer

from codi import __version__
from codi.cli import helptext
from codi.config.paths import output_root

helptext.install()  # help in words: FILE, CODE, N [at least 1]; not <str>, <list[str]>, <int range>

# The commands (and subcommands) that take the output root as `--out` after their name as well
# (tests/cli/test_help_text.py keeps this list true).
OUT_AFTER_COMMAND = ("run", "all", "dashboard", "scan", "doctor", "backup create", "runs prune", "audit verify",
                     "llm rank")

app = typer.Typer(
    name="codi",
    help="CODI, the offline Dockerfile dietician: lint, fix and slim Dockerfiles, air-gapped.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version_callback(value: bool) -> None:
    if value:
        typer.echo(f"codi {__version__}")
        raise typer.Exit(0)


@app.callback()
def root(
    ctx: typer.Context,
    version: bool = typer.Option(
        False, "--version", callback=_version_callback, is_eager=True, help="Print the version and exit."
    ),
    out: str | None = typer.Option(
        None, "--out", metavar="DIR", show_default=False,
        help="Output root: the runs folder and CODI's state in it (env CODI_OUTPUT_ROOT, default ./runs). "
             f"Also accepted after the name of: {', '.join(OUT_AFTER_COMMAND)}.",
    ),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Say more about what happens."),
) -> None:
    """CODI, the offline Dockerfile dietician."""
    ctx.obj = {"out": out, "verbose": verbose}


@app.command("version")
def version_cmd() -> None:
    """Print the version."""
    typer.echo(f"codi {__version__}")


def out_root(ctx: typer.Context, out: str | None = None) -> Path:
    """The runs folder of a command: its own --out, else the global --out, else CODI_OUTPUT_ROOT, else runs."""
    return output_root(out or ((ctx.obj or {}).get("out") if ctx.obj else None))
