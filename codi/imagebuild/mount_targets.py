"""RUN mounts with a relative target, made absolute for the build: BuildKit resolves ``--mount=...,target=x``
against the RUN's working directory, buildah 1.28 refuses it ("must be an absolute path"). ``docker init``
writes such a mount (``--mount=type=bind,source=requirements.txt,target=requirements.txt``).

Like the base map, this changes only the text given to the engine: candidate files stay as written.
"""

from __future__ import annotations

import posixpath

from codi.fix.edits import apply_edits
from codi.optimise.reorder import workdirs
from codi.parser import ParseError, parse
from codi.parser.mounts import TARGET_KEYS, parse_mount, with_field
from codi.parser.semantic import build_model
from codi.rules.base import Edit


def absolute_mount_targets(text: str) -> str:
    """``text`` with each relative mount target joined to its RUN's working directory, where a WORKDIR of
    the stage sets that directory (the base image's own is not known here: such a mount is left alone)."""
    try:
        model = build_model(parse(text))
    except ParseError:
        return text
    edits: list[Edit] = []
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
                new = with_field(flag.raw, TARGET_KEYS, target, posixpath.normpath(posixpath.join(cwd, target)))
                if new != flag.raw:
                    edits.append(Edit(flag.span.start, flag.span.end, new))
    return apply_edits(text, edits)[0]
