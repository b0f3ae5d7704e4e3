"""`--format codacy`: Codacy's tool result lines, one JSON object per finding and line
(`filename`, `line`, `message`, `patternId`), as hadolint's `-f codacy`."""

from __future__ import annotations

import json

from codi.formats.common import text_safe
from codi.rules.engine import LintResult


def render(result: LintResult, color: bool = False, quiet: bool = False) -> str:
    lines = [
        json.dumps({"filename": f.file, "line": f.line, "message": f.message, "patternId": f.code}, ensure_ascii=False)
        + "\n"
        for f in result.findings
    ]
    return text_safe("".join(lines))
