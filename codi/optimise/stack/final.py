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
_BUILD_TOOLS = [(re.compile(r"\bgo build\b"), "go"), (re.compile(r"\bcargo build\b"), "rust"),
                (re.compile(r"\bdotnet publish\b"), "dotnet"), (re.compile(r"\b(mvnw?|gradlew?)\b"), "java")]


def _source_stage(model: Model, target: Stage, path: str) -> Stage | None:
    """The stage a COPY --from in the target's stages brought ``path`` from."""
    from codi.optimise.contract.files import under

    for st in model.stage_chain(target):
        for instr in st.instructions:
            flag = instr.flag("from") if instr.keyword == "COPY" else None
            if flag is None or not flag.value or len(instr.args) < 2:
                continue
            dest = instr.args[-1]
            if under(path, dest) is not None or (dest.endswith("/") and under(path, dest.rstrip("/")) is not None):
                return model.stage_by_ref(flag.value, before=st.index)
    return None


def _stage_runtime(model: Model, stage: Stage) -> tuple[str | None, str]:
    from codi.imagedb import lookup

    chain = model.stage_chain(stage)
    ref = chain[0].base_resolved or chain[0].base
    info = lookup(ref) if ref else None
    if info is not None and info.runtime:
        return info.runtime, ref
    for st in reversed(chain):  # an unknown build image: the build tool its RUN steps call tells
        for instr in reversed(st.instructions):
            if instr.keyword == "RUN":
                for tool, runtime in _BUILD_TOOLS:
                    if tool.search(" ".join(instr.args)):
                        return runtime, ref
    return None, ref


def runtime_stack(contract: RuntimeContract, model: Model, target: Stage | None) -> tuple[str | None, str]:
    """(stack, why) of the image that is built; (None, "") when CODI cannot tell."""
    if contract.runtime in LANGUAGE_STACKS:
        return contract.runtime, f"the built stage runs on {contract.base} ({contract.runtime})"
    if target is not None:
        for exe in contract.executables:
            if exe.used_by == "HEALTHCHECK" or not exe.name.startswith("/"):
                continue
            source = _source_stage(model, target, exe.name)
            if source is not None:
                runtime, ref = _stage_runtime(model, source)
                if runtime in LANGUAGE_STACKS:
                    return runtime, f"the command's program `{exe.name}` is built in stage " \
                                    f"{source.name_raw or source.index} on {ref} ({runtime})"
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
