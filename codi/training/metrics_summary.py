"""`codi metrics summarize`: one table of training metrics and CODI run telemetry.

Reads, under ``--input`` (a file or a folder, recursively):

- ``metrics.ndjson`` (and its rotations ``metrics.ndjson.N``, oldest first) of training runs;
- CODI run directories (``metadata/run.json`` beside ``metadata/metrics.json`` and/or
  ``metadata/llm_metrics.json``): split ``run``, phase ``eval``, step 0; from llm_metrics every
  numeric figure but the settings (``calls``, ``prompt_tokens``, ``latency_ms``, ``acceptance``,
  ``guard_removals``, ...) as ``llm.<key>``; from metrics.json the original's ``size.original_bytes``,
  ``size.original_layers`` (and measured build times), ``candidates``, and one row per candidate
  (step = its position) of ``candidate.size_delta_pct``, ``candidate.layers_delta`` and measured
  ``candidate.build_seconds`` / ``candidate.rebuild_seconds``.

Groups by (run, split, phase, metric): count, first, last, min, max, mean. A line that is not a
metrics row is skipped and counted; a null value (NaN or inf when written) is counted apart.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

FORMATS = ("csv", "json", "table")
COLUMNS = ("run_id", "split", "phase", "name", "count", "first", "last", "min", "max", "mean")
_SETTINGS = {"schema_version", "tie_margin"}  # llm_metrics numbers that configure, not measure


@dataclass(slots=True)
class Point:
    run_id: str
    split: str
    phase: str
    name: str
    step: int
    value: float


@dataclass(slots=True)
class Summary:
    groups: list[dict[str, Any]] = field(default_factory=list)
    bad_lines: int = 0
    null_values: int = 0
    files: int = 0
    codi_runs: int = 0


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def _rotation_key(path: Path) -> tuple[str, int]:
    suffix = path.name.rpartition(".")[2]
    return str(path.parent), -int(suffix) if suffix.isdigit() else 0  # metrics.ndjson.5 ... .1, then the live file


def ndjson_points(path: Path, summary: Summary) -> Iterator[Point]:
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            tags = row.get("tags") or {}
            point = Point(str(row["run_id"]), str(row["split"]), str(tags.get("phase", "")), str(row["name"]),
                          int(row["step"]), 0.0)
        except (ValueError, KeyError, TypeError, AttributeError):
            summary.bad_lines += 1
            continue
        if row.get("value") is None:
            summary.null_values += 1
            continue
        value = _number(row["value"])
        if value is None:
            summary.bad_lines += 1
            continue
        point.value = value
        yield point


def _load(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def run_points(run_dir: Path) -> Iterator[Point]:
    meta = run_dir / "metadata"
    run_id = str(_load(meta / "run.json").get("run_id") or run_dir.name)

    def point(name: str, value: Any, step: int = 0) -> Iterator[Point]:
        number = _number(value)
        if number is not None:
            yield Point(run_id, "run", "eval", name, step, number)

    for key, value in _load(meta / "llm_metrics.json").items():
        if key not in _SETTINGS:
            yield from point(f"llm.{key}", value)
    metrics = _load(meta / "metrics.json")
    original = metrics.get("original") or {}
    for key, name in (("size_bytes", "size.original_bytes"), ("layers", "size.original_layers"),
                      ("build_seconds", "size.original_build_seconds"),
                      ("rebuild_seconds", "size.original_rebuild_seconds")):
        yield from point(name, original.get(key))
    cands = metrics.get("candidates")
    if isinstance(cands, list):
        yield from point("candidates", len(cands))
        for i, cand in enumerate(c for c in cands if isinstance(c, dict)):
            for key in ("size_delta_pct", "layers_delta", "build_seconds", "rebuild_seconds"):
                yield from point(f"candidate.{key}", cand.get(key), i)


def collect(root: Path, summary: Summary) -> list[Point]:
    points: list[Point] = []
    files = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file()
                                                 and re.fullmatch(r"metrics\.ndjson(\.\d+)?", p.name))
    for path in sorted(files, key=_rotation_key):
        summary.files += 1
        points.extend(ndjson_points(path, summary))
    if root.is_dir():
        runs = sorted({p.parent.parent for p in root.rglob("metadata/*.json")
                       if p.name in {"llm_metrics.json", "metrics.json"} and (p.parent / "run.json").is_file()})
        for run_dir in runs:
            summary.codi_runs += 1
            points.extend(run_points(run_dir))
    return points


def summarize(root: Path) -> Summary:
    summary = Summary()
    grouped: dict[tuple[str, str, str, str], list[Point]] = {}
    for p in collect(root, summary):
        grouped.setdefault((p.run_id, p.split, p.phase, p.name), []).append(p)
    for key in sorted(grouped):
        ordered = sorted(grouped[key], key=lambda p: p.step)  # stable: file order within a step
        values = [p.value for p in ordered]
        summary.groups.append(dict(zip(COLUMNS, [*key, len(values), values[0], values[-1], min(values), max(values),
                                                 sum(values) / len(values)], strict=True)))
    return summary


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def render(summary: Summary, fmt: str) -> str:
    if fmt == "json":
        return json.dumps({"groups": summary.groups, "bad_lines": summary.bad_lines,
                           "null_values": summary.null_values, "files": summary.files,
                           "codi_runs": summary.codi_runs}, indent=2) + "\n"
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(COLUMNS)
        writer.writerows([[g[c] for c in COLUMNS] for g in summary.groups])
        return buffer.getvalue()
    if fmt != "table":
        raise ValueError(f"format must be one of {FORMATS}")
    rows = [list(COLUMNS)] + [[_cell(g[c]) for c in COLUMNS] for g in summary.groups]
    widths = [max(len(r[i]) for r in rows) for i in range(len(COLUMNS))]
    lines = ["  ".join(cell.ljust(w) if i < 4 else cell.rjust(w) for i, (cell, w) in enumerate(zip(r, widths,
                                                                                                   strict=True)))
             for r in rows]
    footer = f"{len(summary.groups)} metric(s) from {summary.files} file(s) and {summary.codi_runs} CODI run(s); " \
             f"{summary.bad_lines} bad line(s) skipped"
    if summary.null_values:
        footer += f"; {summary.null_values} null value(s)"
    return "\n".join([*(line.rstrip() for line in lines), footer]) + "\n"
