"""The errors user input can cause in the service layer (exit 2, one line, no traceback)."""

from __future__ import annotations


class InputError(Exception):
    """Bad user input: a missing project, no Dockerfile, an unparsable one, an unwritable output."""


class LintUsageError(Exception):
    """Bad options or settings: exit 2 with this one-line message."""
