"""`--format json`: a JSON array of findings (the issue's field list, in a fixed order)."""

from __future__ import annotations

import json
from typing import Any

from codi.formats.common import text_safe, with_errors
from codi.rules.base import Finding
from codi.rules.engine import LintResult


def finding_dict(f: Finding) -> dict[str, Any]:
    return f.payload()


def render(result: LintResult, color: bool = False, quiet: bool = False) -> str:
    # an internal error is an entry too (code CD0000): an array without it would read as a pass
    return text_safe(json.dumps([finding_dict(f) for f in with_errors(result)], indent=2, ensure_ascii=False)) + "\n"
