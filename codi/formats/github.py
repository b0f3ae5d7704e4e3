"""`--format github`: GitHub Actions workflow commands, one annotation per finding.

Escaping follows the Actions toolkit: in the message ``%``, CR and LF are percent-encoded;
in property values also ``:`` and ``,``.
"""

from __future__ import annotations

from codi.rules.base import Severity
from codi.rules.engine import LintResult

_COMMAND = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice", Severity.STYLE: "notice"}


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def render(result: LintResult, color: bool = False, quiet: bool = False) -> str:
    out = []
    for f in result.findings:
        props = [
            f"file={escape_property(f.file)}",
            f"line={f.line}",
            f"col={f.column}",
            f"endLine={f.end_line}",
            f"endColumn={f.end_column}",
            f"title={escape_property(f'{f.code} {f.name}')}",
        ]
        message = f"{f.code} [{f.severity.value}] {f.message}"
        out.append(f"::{_COMMAND[f.severity]} {','.join(props)}::{escape_data(message)}\n")
    for err in result.errors:
        out.append(f"::error title=codi internal error::{escape_data(str(err))}\n")
    return "".join(out)
