"""Checks a fixed file must pass before it is written (DESIGN.md §2, issue 4 §1)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from codi.parser.model import Dockerfile
from codi.parser.semantic import Model, build_model
from codi.rules.base import Applicability, Finding

# Rules whose whole point is to change one of the invariants below.
ABOUT = {
    "cmd": {"DL3025", "JSONArgsRecommended"},
    "user": {"DL3002"},
    "workdir": {"DL3000", "WorkdirRelativePath"},
}


@dataclass(frozen=True, slots=True)
class Invariants:
    stages: tuple[tuple[str | None, str], ...]
    command: tuple[tuple[str, tuple[str, ...], bool], ...]
    ports: frozenset[str]
    users: tuple[str, ...]
    workdirs: tuple[str, ...]


def _final_command(model: Model) -> tuple[tuple[str, tuple[str, ...], bool], ...]:
    stage = model.final_stage
    if stage is None:
        return ()
    out: dict[str, tuple[str, tuple[str, ...], bool]] = {}
    for instr in stage.instructions:
        if instr.keyword in {"CMD", "ENTRYPOINT"}:
            out[instr.keyword] = (instr.keyword, tuple(instr.args), instr.json_form)
    return tuple(sorted(out.values()))


def invariants(df: Dockerfile, model: Model) -> Invariants:
    def values(keyword: str) -> tuple[str, ...]:
        return tuple(" ".join(i.args) for i in df.instructions if i.keyword == keyword)

    ports: set[str] = set()
    for instr in df.instructions:
        if instr.keyword == "EXPOSE":
            ports.update(a.lower() for a in instr.args)
    return Invariants(
        stages=tuple((s.name, s.base) for s in model.stages),
        command=_final_command(model),
        ports=frozenset(ports),
        users=values("USER"),
        workdirs=values("WORKDIR"),
    )


def broken_invariant(before: Invariants, after: Invariants, codes: set[str],
                     applicability: Applicability) -> str | None:
    """Why ``after`` is not an acceptable fix of ``before`` (None when it is)."""
    def allowed(what: str) -> bool:
        return bool(codes & ABOUT[what])

    if before.stages != after.stages:  # names are compared lower-cased, as BuildKit does
        return "the stages changed"
    # The final command must stay for safe fixes; unsafe ones may change it (exec form, ...).
    if before.command != after.command and applicability is Applicability.SAFE and not allowed("cmd"):
        return "the final CMD/ENTRYPOINT changed"
    if before.ports != after.ports:
        return "the exposed ports changed"
    if before.users != after.users and not allowed("user"):
        return "USER changed"
    if before.workdirs != after.workdirs and not allowed("workdir"):
        return "WORKDIR changed"
    return None


def new_findings(original: list[Finding], fixed: list[Finding]) -> list[str]:
    """Codes that occur more often in ``fixed`` than in ``original`` (lines move, so counts)."""
    have = Counter(f.code for f in original)
    now = Counter(f.code for f in fixed)
    return sorted(code for code, n in now.items() if n > have.get(code, 0))


def model_of(df: Dockerfile) -> Model:
    return build_model(df)


