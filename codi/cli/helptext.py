"""`--help` in words, not Python types: typer 0.2x prints `<str>`, `<list[str]>`, `<bool>` and
`<int range> [x>=1]` beside every option. Here an option shows its metavar (`FILE`, `CODE`), or a
word made from its name (`--host` -> `HOST`, a number -> `N`), flags show nothing, and a number's
range reads `at least 1`. Applied once, when the CLI is imported (codi.cli.app).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from typer import core

if TYPE_CHECKING:  # annotations only: importing click costs start-up time
    import click

_NUMBER_WORDS = {"int": "N", "float": "NUMBER"}


def _word(param: Any, ctx: click.Context) -> str | None:
    if isinstance(param, core.TyperOption) and (param.is_flag or param.count):
        return None
    if param.metavar is not None:  # an argument's name column already shows it
        return None if isinstance(param, core.TyperArgument) else str(param.metavar)
    desc = param.type_descriptor
    inner = param.bare_type().removeprefix("list[").removesuffix("]")
    if desc.is_ranged:
        inner = str(desc.ranged_type_name)
    if desc.is_choice:
        label = core._TyperParameter.display_type(param, ctx).strip("<>")  # the choices, a|b|c
        label = label.removeprefix("list[").removesuffix("]")
    elif inner in _NUMBER_WORDS:
        label = _NUMBER_WORDS[inner]
    elif desc.is_path:
        label = "PATH"
    else:
        label = (param.name or "value").upper()
    multiple = getattr(param, "multiple", False) or (param.nargs != 1)
    return f"{label}..." if multiple else label


def _range_words(low: Any, high: Any) -> str | None:
    if low is not None and high is not None:
        return f"{low} to {high}"
    if low is not None:
        return f"at least {low}"
    if high is not None:
        return f"at most {high}"
    return None


def _option_range(self: Any) -> str | None:
    if getattr(self, "count", False) and self.min == 0 and self.max is None:
        return None
    return _range_words(getattr(self, "min", None), getattr(self, "max", None))


def _argument_range(self: Any) -> str | None:
    return _range_words(getattr(self, "min", None), getattr(self, "max", None))


def install() -> None:
    """Replace typer's type labels in help (idempotent)."""
    core._TyperParameter.display_type_rich = _word  # type: ignore[method-assign]
    core.TyperOption.display_type_rich = _word  # type: ignore[method-assign]
    if hasattr(core.TyperOption, "_get_number_range_help_str"):
        core.TyperOption._get_number_range_help_str = _option_range  # type: ignore[method-assign]
    if hasattr(core, "TyperArgument") and hasattr(core.TyperArgument, "_get_number_range_help_str"):
        core.TyperArgument._get_number_range_help_str = _argument_range  # type: ignore[method-assign]
