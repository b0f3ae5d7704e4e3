"""The JSON view of a parsed file that `codi parse --format json` prints (comparable with BuildKit)."""

from __future__ import annotations

from typing import Any

from codi.parser.model import Dockerfile, Instruction

SCHEMA_VERSION = 1


def instruction_json(instr: Instruction) -> dict[str, Any]:
    return {
        "keyword": instr.keyword,
        "flags": [f.raw for f in instr.flags],
        "args": list(instr.args),
        "json_form": instr.json_form,
        "start_line": instr.start_line,
        "end_line": instr.end_line,
        "heredocs": [
            {"name": h.name, "content": h.content, "expand": h.expand, "chomp": h.chomp, "fd": h.fd}
            for h in instr.heredocs
        ],
        "inner": instruction_json(instr.inner) if instr.inner is not None else None,
    }


def dockerfile_json(df: Dockerfile) -> dict[str, Any]:
    return {
        "schema_version": SCHEMA_VERSION,
        "escape": df.escape,
        "directives": dict(df.directives),
        "instructions": [instruction_json(i) for i in df.instructions],
    }
