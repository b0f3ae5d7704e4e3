"""The Typer application every command module attaches to."""

from __future__ import annotations

from pathlib import Path

import typer

from codi import __version__
from codi.config.paths import output_root

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
        None, "--out", help="Runs folder for run/all (also accepted after the command; env CODI_OUTPUT_ROOT)."
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
