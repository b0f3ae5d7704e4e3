"""A command group whose first argument may also be the default command's: ``codi rules DL3008`` and
``codi rules install BUNDLE.tgz`` side by side."""

from __future__ import annotations

from typing import TYPE_CHECKING

from typer.core import TyperGroup

if TYPE_CHECKING:  # annotations only: importing click costs start-up time
    import click


class DefaultGroup(TyperGroup):
    """Arguments that do not start with a subcommand's name go to the ``show`` subcommand."""

    default_command = "show"

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if not args or (args[0] not in self.commands and args[0] not in ctx.help_option_names):
            args = [self.default_command, *args]
        return super().parse_args(ctx, args)
