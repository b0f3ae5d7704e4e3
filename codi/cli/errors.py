"""The CLI's one way to stop with a user error: one line on stderr, then an exit code (2: usage/input)."""

from __future__ import annotations

import sys

import typer


def fail(message: str, code: int = 2) -> typer.Exit:
    """Write ``codi: error: message`` and return the Exit to raise (``raise fail(...)``)."""
    sys.stderr.write(f"codi: error: {message}\n")
    return typer.Exit(code)
