"""`--format json` writes its array by hand: byte for byte what json.dumps(indent=2) would write."""

from __future__ import annotations

import json
from typing import Any

import pytest

from codi.formats.json_array import dumps

CASES: list[list[dict[str, Any]]] = [
    [],
    [{"file": "Dockerfile", "line": 3, "fixable": False}],
    [{"message": "quote \" backslash \\ newline \n tab \t nul \x00 del \x7f", "ok": True, "none": None}],
    [{"message": "é ü 😀 \u2028 \u2029 \udcff (a byte that is not UTF-8)", "line": -1, "big": 10**20}],
    [{"a": "x"}, {"b": "y"}, {"c": 0}],
    [{}],  # not a finding's shape: json.dumps writes these
    [{"ratio": 0.5}],
    [{"nested": [1, {"x": 2}]}],
]


@pytest.mark.parametrize("items", CASES)
def test_same_bytes_as_json_dumps(items: list[dict[str, Any]]) -> None:
    assert dumps(items) == json.dumps(items, indent=2, ensure_ascii=False)
