"""`--format gnu`: one line per finding in the GNU error format (`program:file:line:column: text`),
which Emacs, Vim's quickfix and most editors jump from; as hadolint's `-f gnu`, with the column."""

from __future__ import annotations

from codi.formats.common import text_safe
from codi.rules.engine import LintResult


def render(result: LintResult, color: bool = False, quiet: bool = False) -> str:
    lines = [
        f"codi:{f.file}:{f.line}:{f.column}: {f.code} {f.severity.value}: {' '.join(f.message.split())}\n"
        for f in result.findings
    ]
    return text_safe("".join(lines))
