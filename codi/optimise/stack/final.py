"""The stack that runs in the final image: the runtime of the built stage, not every manifest in the repo.

A Python service whose image has a Node stage for its frontend assets is a Python app; a site built with
Node and served by nginx is a static site. Manifest detection alone cannot tell these apart.
"""

from __future__ import annotations

import re

from codi.optimise.contract.model import RuntimeContract
from codi.optimise.stack.model import Detection, Evidence, StackMatch
from codi.parser.semantic import Model, Stage

LANGUAGE_STACKS = ("node", "python", "java", "go", "rust", "dotnet", "ruby", "php")
WEB_SERVERS = ("nginx", "httpd")
_FROM_STAGE = re.compile(r"COPY --from=(\S+) ")


def _stage_runtime(model: Model, stage: Stage) -> tuple[str | None, str]:
    from codi.imagedb import lookup

    root = model.stage_chain(stage)[0]
    ref = root.base_resolved or root.base
    info = lookup(ref) if ref else None
    return (info.runtime if info is not None else None), ref


def runtime_stack(contract: RuntimeContract, model: Model, target: Stage | None) -> tuple[str | None, str]:
    """(stack, why) of the image that is built; (None, "") when CODI cannot tell."""
    if contract.runtime in LANGUAGE_STACKS:
        return contract.runtime, f"the built stage runs on {contract.base} ({contract.runtime})"
    if target is not None:
        for exe in contract.executables:
            m = _FROM_STAGE.match(exe.detail) if exe.provider == "stage" else None
            source = model.stage_by_ref(m.group(1), before=target.index) if m else None
            if source is not None:
                runtime, ref = _stage_runtime(model, source)
                if runtime in LANGUAGE_STACKS:
                    return runtime, f"the command's program `{exe.name}` is built in stage {m.group(1) if m else ''} " \
                                    f"on {ref} ({runtime})"
    if contract.runtime in WEB_SERVERS:
        return "static", f"the built stage is {contract.base}, a web server: other stacks only build its files"
    return None, ""


def prefer_runtime(detection: Detection, contract: RuntimeContract, model: Model, target: Stage | None,
                   hinted: bool = False) -> Detection:
    """``detection`` with the final image's stack first (a user's --stack still wins)."""
    if hinted:
        return detection
    stack, why = runtime_stack(contract, model, target)
    if stack is None or (detection.primary is not None and detection.primary.stack == stack):
        return detection
    matches = ([detection.primary] if detection.primary else []) + list(detection.others)
    chosen = next((m for m in matches if m.stack == stack), None)
    if chosen is None:
        chosen = StackMatch(stack=stack, confidence=0.5)
    chosen.evidence.insert(0, Evidence(file="Dockerfile", matched=why))
    rest = [m for m in matches if m is not chosen]
    return Detection(primary=chosen, others=rest)
