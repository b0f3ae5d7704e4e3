"""`--format json`: a JSON array of findings (the issue's field list, in a fixed order)."""

from __future__ import annotations

import json
from typing import Any

from codi.formats.common import text_safe, with_errors
from codi.rules.base import Finding
from codi.rules.engine import LintResult

# The string encoder json.dumps uses with ensure_ascii=False (its C version where there is one).
_string = getattr(json.encoder, "c_encode_basestring", None) or json.encoder.py_encode_basestring


def finding_dict(f: Finding) -> dict[str, Any]:
    return f.payload()


def render(result: LintResult, color: bool = False, quiet: bool = False) -> str:
    # an internal error is an entry too (code CD0000): an array without it would read as a pass
    return text_safe(dumps([finding_dict(f) for f in with_errors(result)])) + "\n"


def dumps(items: list[dict[str, Any]]) -> str:
    """``json.dumps(items, indent=2, ensure_ascii=False)``, byte for byte, written here for a list of
    flat objects of strings, integers, booleans and nulls: json.dumps with ``indent`` falls back to
    its pure-Python encoder, which took a few percent of a warm lint. Anything else goes to json.dumps."""
    if not items:
        return "[]"
    parts: list[str] = []
    for item in items:
        if not item:
            return json.dumps(items, indent=2, ensure_ascii=False)
        fields = []
        for key, value in item.items():
            kind = type(value)
            if kind is str:
                shown = _string(value)
            elif kind is bool:
                shown = "true" if value else "false"
            elif kind is int:
                shown = int.__repr__(value)
            elif value is None:
                shown = "null"
            else:
                return json.dumps(items, indent=2, ensure_ascii=False)
            if type(key) is not str:
                return json.dumps(items, indent=2, ensure_ascii=False)
            fields.append(f"    {_string(key)}: {shown}")
        parts.append("  {\n" + ",\n".join(fields) + "\n  }")
    return "[\n" + ",\n".join(parts) + "\n]"
