"""`RUN --mount=...` options, parsed once the way BuildKit reads them (instructions/commands_runmount.go).

The value is comma-separated ``key=value`` fields (a field may be quoted as a whole, CSV style);
``type`` defaults to ``bind``; ``target``, ``dst`` and ``destination`` name the same thing, as do
``source``/``src``. Keys compare case-insensitively. Values are kept as written (no variable
expansion: BuildKit expands them later with the build args).
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field

from codi.parser.model import Instruction

TARGET_KEYS = ("target", "dst", "destination")
FROM_KEYS = ("from",)
_SOURCE_KEYS = ("source", "src")


@dataclass(frozen=True, slots=True)
class Mount:
    type: str
    target: str | None
    source: str | None
    from_: str | None
    options: dict[str, str] = field(default_factory=dict)  # every field, lower-cased keys

    @property
    def is_cache(self) -> bool:
        return self.type == "cache"


def parse_mount(value: str) -> Mount:
    """One ``--mount`` value."""
    try:
        fields = next(csv.reader([value], skipinitialspace=True), [])
    except csv.Error:
        fields = value.split(",")
    options: dict[str, str] = {}
    for part in fields:
        key, eq, val = part.partition("=")
        key = key.strip().lower()
        if key:
            options[key] = val.strip() if eq else "true"
    target = next((options[k] for k in TARGET_KEYS if options.get(k)), None)
    source = next((options[k] for k in _SOURCE_KEYS if options.get(k)), None)
    return Mount(type=options.get("type", "bind").lower(), target=target, source=source,
                 from_=options.get("from") or None, options=options)


def with_field(raw: str, keys: tuple[str, ...], value: str, new: str) -> str:
    """``raw`` (a ``--mount=...`` flag as written) with the first field of ``keys`` whose value is ``value``
    (maybe quoted) set to ``new``; unchanged when no field matches."""
    field_re = re.compile(r"(^|,)(\s*(?:" + "|".join(map(re.escape, keys)) + r")=)([\"']?)" + re.escape(value)
                          + r"\3(?=\s*(?:,|$))", re.IGNORECASE)
    return field_re.sub(lambda m: f"{m.group(1)}{m.group(2)}{new}", raw, count=1)


def mounts(instr: Instruction) -> list[Mount]:
    """Every ``--mount`` of a RUN (none for other instructions)."""
    if instr.keyword != "RUN":
        return []
    return [parse_mount(f.value) for f in instr.flags if f.name == "mount" and f.value]


def cache_targets(instr: Instruction, *, tmpfs: bool = False) -> list[str]:
    """Targets of the cache mounts of a RUN (and tmpfs mounts with ``tmpfs=True``), as written."""
    kinds = {"cache", "tmpfs"} if tmpfs else {"cache"}
    return [m.target for m in mounts(instr) if m.type in kinds and m.target]
