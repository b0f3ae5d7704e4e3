"""`--format concise` (`--output-format concise`): one line per finding, no source lines, for narrow
terminals and logs (`file:line:col: CODE [level] message`), then the summary."""

from __future__ import annotations

from codi.formats import tty
from codi.rules.engine import LintResult


def render(result: LintResult, color: bool = False, quiet: bool = False) -> str:
    return tty.render(result, color=color, quiet=quiet, concise=True)
