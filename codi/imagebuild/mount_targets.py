"""RUN mounts with a relative target, made absolute for the build: BuildKit resolves ``--mount=...,target=x``
against the RUN's working directory, buildah 1.28 refuses it ("must be an absolute path"). ``docker init``
writes such a mount (``--mount=type=bind,source=requirements.txt,target=requirements.txt``).

Like the base map, this changes only the text given to the engine: candidate files stay as written.
"""

from __future__ import annotations

import posixpath
import re

from codi.optimise.reorder import workdirs
from codi.parser import ParseError, parse
from codi.parser.mounts import parse_mount
from codi.parser.semantic import build_model

_TARGET_KEYS = ("target", "dst", "destination")


def absolute_mount_targets(text: str) -> str:
    """``text`` with each relative mount target joined to its RUN's working directory, where a WORKDIR of
    the stage sets that directory (the base image's own is not known here: such a mount is left alone)."""
    try:
        model = build_model(parse(text))
    except ParseError:
        return text
    edits: list[tuple[int, int, str]] = []
    for stage in model.stages:
        runs = [i for i in stage.instructions if i.keyword == "RUN"]
        if not runs:
            continue
        where = workdirs(model, stage)
        for instr in runs:
            cwd, known = where.get(id(instr), ("/", False))
            for flag in instr.flags:
                if flag.name.lower() != "mount" or not known:
                    continue
                target = parse_mount(flag.value or "").target
                if not target or target.startswith("/") or "$" in target:
                    continue
                absolute = posixpath.normpath(posixpath.join(cwd, target))
                field = re.compile(r"(^|,)(\s*(?:" + "|".join(_TARGET_KEYS) + r")=)([\"']?)" + re.escape(target)
                                   + r"\3(?=\s*(?:,|$))", re.IGNORECASE)
                new = field.sub(lambda m, to=absolute: f"{m.group(1)}{m.group(2)}{to}", flag.raw, count=1)
                if new != flag.raw:
                    edits.append((flag.span.start, flag.span.end, new))
    for start, end, new in sorted(edits, reverse=True):
        text = text[:start] + new + text[end:]
    return text
