"""JSON-array arguments, decoded the way Go's ``encoding/json`` Decoder does for BuildKit.

BuildKit decodes only the first JSON value (trailing text is ignored), rejects
arrays holding anything but strings, and treats every other decoding failure as
"not JSON" (the instruction silently falls back to shell form).
"""

from __future__ import annotations

import json
import math
import re

# Lone surrogates (from surrogateescape or \\u escapes) become U+FFFD, as Go does.
_SURROGATE = re.compile("[\ud800-\udfff]")


class NotStringArray(Exception):
    """An array with a non-string element: BuildKit rejects the file."""


class _Fallback(Exception):
    pass


def _number(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        # Go's float64 conversion fails with a range error: not JSON for BuildKit.
        raise _Fallback
    return value


def _constant(text: str) -> float:
    raise _Fallback  # NaN / Infinity are not JSON in Go


_DECODER = json.JSONDecoder(parse_float=_number, parse_int=_number, parse_constant=_constant)
_WS = " \t\n\r"


def parse_json_array(rest: str) -> list[str] | None:
    """The strings of a JSON array at the start of ``rest`` (after leading whitespace).

    Returns None when ``rest`` is not a JSON array for BuildKit (shell form).
    Raises NotStringArray when it is an array with a non-string element.
    """
    if not rest.startswith("["):
        return None
    try:
        value, _ = _DECODER.raw_decode(rest)
    except (ValueError, _Fallback):
        return None
    except RecursionError:
        # Go accepts nesting up to 10000 levels; deeper is a syntax error.
        depth = len(rest) - len(rest.lstrip("[" + _WS))
        if depth >= 10000:
            return None
        raise NotStringArray from None
    if not isinstance(value, list):
        return None
    out: list[str] = []
    for item in value:
        if not isinstance(item, str):
            raise NotStringArray
        if _SURROGATE.search(item):
            item = _SURROGATE.sub("\ufffd", item)
        out.append(item)
    return out
