"""Combine manifest detectors and Dockerfile hints into one ranked answer."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from codi.optimise.stack import go, jvm, node, others, python
from codi.optimise.stack.hints import dockerfile_hints
from codi.optimise.stack.model import Detection, StackMatch
from codi.parser.model import Dockerfile

DETECTORS: list[Callable[[Path], StackMatch | None]] = [
    node.detect, python.detect, jvm.detect, go.detect,
    others.detect_rust, others.detect_dotnet, others.detect_ruby, others.detect_php,
]
STACKS = ("node", "python", "java", "go", "rust", "dotnet", "ruby", "php")
HINT_WEIGHT = 0.1


def detect_stack(project: Path, dockerfile: Dockerfile | None = None, dockerfile_path: str = "Dockerfile",
                 stack_hint: str | None = None) -> Detection:
    """Detect the project's stack. ``stack_hint`` (e.g. from ``--stack``) wins when it matches
    a detected stack, and otherwise creates a low-confidence match marked as user-given."""
    matches: dict[str, StackMatch] = {}
    for detector in DETECTORS:
        found = detector(project)
        if found is not None and found.stack not in matches:
            matches[found.stack] = found
    if dockerfile is not None:
        for stack, evidence in dockerfile_hints(dockerfile, dockerfile_path).items():
            match = matches.setdefault(stack, StackMatch(stack=stack))
            for ev in evidence[:3]:
                match.add(HINT_WEIGHT, ev)
    ranked = sorted(matches.values(), key=lambda m: (-m.confidence, STACKS.index(m.stack) if m.stack in STACKS else 99))
    if stack_hint:
        hinted = [m for m in ranked if m.stack == stack_hint]
        if hinted:
            ranked.remove(hinted[0])
            ranked.insert(0, hinted[0])
        else:
            from codi.optimise.stack.model import Evidence

            ranked.insert(0, StackMatch(stack=stack_hint, confidence=0.0,
                                        evidence=[Evidence(file="--stack", matched=f"given by the user: {stack_hint}")]))
    if not ranked:
        return Detection()
    return Detection(primary=ranked[0], others=ranked[1:])
