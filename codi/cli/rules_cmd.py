"""`codi rules [CODE]`: list the rules, or print one rule's documentation."""

from __future__ import annotations

import difflib
import json
import sys
from typing import TYPE_CHECKING, Annotated, Any

import typer

from codi.cli.app import app
from codi.cli.default_group import DefaultGroup

if TYPE_CHECKING:
    from codi.rules.base import Rule

RULES_FORMATS = ("table", "json", "markdown")


def rule_row(rule: type[Rule]) -> dict[str, Any]:
    from codi.rules.docs import fixable

    return {
        "code": rule.code,
        "name": rule.name,
        "severity": rule.severity.value,
        "enabled": rule.enabled_by_default,
        "fixable": fixable(rule),
        "summary": rule.summary(),
    }


def _lookup(code: str) -> type[Rule] | None:
    """A rule by code or name; an SC code (SC2086) finds the ShellCheck rule that reports it."""
    from codi.formats.common import rule_for

    return rule_for(code.strip())


def _suggest(code: str) -> str:
    from codi.rules.registry import all_rules

    keys = [r.code for r in all_rules()] + [r.name for r in all_rules()]
    close = difflib.get_close_matches(code, keys, n=3, cutoff=0.6)
    if not close:
        close = difflib.get_close_matches(code.upper(), [k.upper() for k in keys], n=3, cutoff=0.6)
    hint = f"; did you mean {', '.join(close)}?" if close else "; `codi rules` lists them all"
    return f"no rule {code!r}{hint}"


rules_app = typer.Typer(cls=DefaultGroup, help="List and explain rules (codi rules [CODE]); install or roll back "
                        "a rules bundle.")
app.add_typer(rules_app, name="rules")


@rules_app.command("show")
def rules_cmd(
    code: Annotated[str | None, typer.Argument(help="A rule code or name: print its documentation.")] = None,
    format: Annotated[
        str, typer.Option("--format", "-f", help=f"Output: {', '.join(RULES_FORMATS)} (markdown = docs/rules.md).")
    ] = "table",
    as_json: Annotated[bool, typer.Option("--json", hidden=True, help="Same as --format json.")] = False,
) -> None:
    """List all rules, or explain one (codi rules DL3008)."""
    from codi.rules.registry import all_rules

    if as_json:
        format = "json"

    if format not in RULES_FORMATS:
        sys.stderr.write(f"codi: error: unknown format {format!r} (choose from {', '.join(RULES_FORMATS)})\n")
        raise typer.Exit(2)
    if code is not None:
        rule = _lookup(code)
        if rule is None:
            sys.stderr.write(f"codi: error: {_suggest(code)}\n")
            raise typer.Exit(2)
        _show_one(rule, format, code.strip().upper())
        return
    rules = all_rules()
    if format == "json":
        sys.stdout.write(json.dumps([rule_row(r) for r in rules], indent=2) + "\n")
    elif format == "markdown":
        from codi.rules.docs import generate

        sys.stdout.write(generate(rules))
    else:
        _table(rules)


def _show_one(rule: type[Rule], fmt: str, asked: str) -> None:
    from codi.formats.common import help_uri
    from codi.rules.docs import rule_section

    if fmt == "json":
        sys.stdout.write(json.dumps({**rule_row(rule), "docs": rule.docs()}, indent=2) + "\n")
        return
    text = rule_section(rule, with_anchor=False)
    uri = help_uri(asked) if asked != rule.code and asked.startswith("SC") and asked[2:].isdigit() else None
    if uri:  # an SC code: the family rule's docs, plus where ShellCheck explains this one
        text = f"{asked} is reported by the `{rule.name}` rule; ShellCheck's page: {uri}\n\n{text}"
    if fmt == "table" and sys.stdout.isatty():
        from rich.console import Console
        from rich.markdown import Markdown

        Console().print(Markdown(text))
    else:
        sys.stdout.write(text + "\n")


def _table(rules: list[type[Rule]]) -> None:
    from codi.rules.docs import fix_label

    header = ("code", "name", "severity", "enabled", "fixable", "summary")
    rows = [
        (r.code, r.name, r.severity.value, "yes" if r.enabled_by_default else "no", fix_label(r), r.summary())
        for r in rules
    ]
    if sys.stdout.isatty():
        from rich import box
        from rich.console import Console
        from rich.table import Table

        table = Table(*header, box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False)
        for row in rows:
            table.add_row(*row)
        Console(highlight=False).print(table)
        return
    # Plain aligned columns for pipes and files: nothing wraps, nothing trails.
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header) - 1)]
    for row in [header, *rows]:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)] + [row[-1]]
        sys.stdout.write("  ".join(cells).rstrip() + "\n")


@app.command("rule")
def rule_cmd(
    code: Annotated[str, typer.Argument(metavar="CODE", show_default=False,
                                        help="A rule code or name (DL3008, SC2086, apt-get-pin-versions).")],
    format: Annotated[str, typer.Option("--format", "-f", metavar="FORMAT",
                                        help="Output: table (text), json, markdown.")] = "table",
) -> None:
    """Explain one rule, as ruff's `ruff rule CODE` (same as `codi rules CODE`).

    Example: codi rule DL3008
    """
    rules_cmd(code=code, format=format, as_json=False)
