"""A lint baseline: record today's findings, later report only new ones (adopting CODI on a big repo
without fixing everything first).

A finding is known by its code, its file, a fingerprint of the instruction it is in (the
instruction's text with continuations and runs of whitespace collapsed, so that moving lines or
re-indenting does not resurrect it) and its occurrence among findings with those three equal
(a second identical problem in the file is new).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from codi.rules.base import Finding
from codi.rules.engine import LintResult

SCHEMA_VERSION = 1
_CONTINUATION = re.compile(r"[\\`]\r?\n")
_SPACE = re.compile(r"\s+")

Key = tuple[str, str, str, int]


class BaselineError(Exception):
    """An unreadable or invalid baseline file; ``str()`` is one line."""


def _instruction_texts(text: str, path: str) -> list[tuple[int, int, str]]:
    from codi.parser.parse import parse_lenient

    try:
        df, _ = parse_lenient(text, path)
    except Exception:  # an unparsable file: fall back to the finding's own lines
        return []
    return [(i.span.start_line, i.span.end_line, i.text) for i in df.instructions]


def _normalise(text: str) -> str:
    return _SPACE.sub(" ", _CONTINUATION.sub(" ", text)).strip()


def fingerprint(finding: Finding, text: str, instructions: list[tuple[int, int, str]]) -> str:
    source = next((t for first, last, t in instructions if first <= finding.line <= last), None)
    if source is None:
        lines = text.splitlines()
        source = "\n".join(lines[finding.line - 1 : max(finding.end_line, finding.line)])
    return hashlib.sha256(_normalise(source).encode("utf-8", "surrogateescape")).hexdigest()[:16]


def keyed(result: LintResult) -> Iterator[tuple[Key, Finding]]:
    """Every finding with its baseline key, in the result's order."""
    parsed: dict[str, list[tuple[int, int, str]]] = {}
    seen: Counter[tuple[str, str, str]] = Counter()
    for f in result.findings:
        text = result.texts.get(f.file, "")
        if f.file not in parsed:
            parsed[f.file] = _instruction_texts(text, f.file)
        base = (f.code, f.file, fingerprint(f, text, parsed[f.file]))
        seen[base] += 1
        yield (*base, seen[base]), f


def write_baseline(result: LintResult, path: str) -> int:
    """Write every finding of ``result`` to ``path`` (atomically); the number written."""
    from codi.atomic import atomic_write_text

    entries: list[dict[str, Any]] = [
        {"code": code, "file": file, "fingerprint": fp, "occurrence": n, "line": f.line, "message": f.message}
        for (code, file, fp, n), f in keyed(result)
    ]
    data = {"schema_version": SCHEMA_VERSION, "tool": "codi", "findings": entries}
    target = Path(path)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(target, json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    except OSError as exc:
        raise BaselineError(f"{path}: cannot write the baseline: {exc.strerror or exc}") from exc
    return len(entries)


def read_baseline(path: str) -> set[Key]:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BaselineError(f"{path}: no such baseline file (write one with --write-baseline {path})") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise BaselineError(f"{path}: cannot read the baseline: {exc}") from exc
    except json.JSONDecodeError as exc:
        raise BaselineError(f"{path}:{exc.lineno}: the baseline is not JSON: {exc.msg}") from exc
    entries = data.get("findings") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise BaselineError(f"{path}: not a codi baseline (no \"findings\" list)")
    keys: set[Key] = set()
    for entry in entries:
        try:
            keys.add((str(entry["code"]), str(entry["file"]), str(entry["fingerprint"]), int(entry["occurrence"])))
        except (KeyError, TypeError, ValueError):
            raise BaselineError(f"{path}: a baseline entry lacks code, file, fingerprint or occurrence") from None
    return keys


def filter_new(result: LintResult, path: str) -> int:
    """Drop the findings recorded in the baseline at ``path`` from ``result``; how many were dropped."""
    known = read_baseline(path)
    kept = [f for key, f in keyed(result) if key not in known]
    dropped = len(result.findings) - len(kept)
    result.findings = kept
    return dropped
