"""Maintainer commands under a few parents: `codi ops doctor`, `codi model train`. The old top-level
names keep working (hidden from `codi --help`), so scripts and the README's commands still run.

Applied by codi.cli.main after the command modules are imported, before the app runs.
"""

from __future__ import annotations

import copy

import typer

# parent -> (its help, the top-level commands and groups it holds)
PARENTS: dict[str, tuple[str, tuple[str, ...]]] = {
    "ops": ("Operator tools: doctor, backup, runs, audit, bundle, stack, bases, perf.",
            ("doctor", "backup", "runs", "audit", "bundle", "stack", "bases", "perf")),
    "model": ("The local model and its data: llm, adapter, index, train, eval, data, metrics.",
              ("llm", "adapter", "index", "train", "eval", "data", "metrics")),
}


def children(parent: str) -> tuple[str, ...]:
    return PARENTS[parent][1] if parent in PARENTS else ()


def group(app: typer.Typer) -> None:
    """Add each parent holding copies of its commands; hide the top-level originals (idempotent)."""
    existing = {g.name for g in app.registered_groups}
    for parent, (help_text, names) in PARENTS.items():
        if parent in existing:
            continue
        holder = typer.Typer(help=help_text, no_args_is_help=True)
        for info in app.registered_commands:
            name = info.name or (info.callback.__name__ if info.callback else None)
            if name in names:
                moved = copy.copy(info)
                moved.name = name
                holder.registered_commands.append(moved)
                info.hidden = True
        for sub in app.registered_groups:
            if sub.name in names:
                holder.registered_groups.append(copy.copy(sub))
                sub.hidden = True
        if holder.registered_commands or holder.registered_groups:
            app.add_typer(holder, name=parent)
