"""Stages, the stage graph and ARG/ENV scoping, on top of the CST (BuildKit's rules).

CONTRACT (bodies filled in by the semantics work; signatures are fixed):
"""

from __future__ import annotations

from dataclasses import dataclass, field

from codi.parser.model import Dockerfile, Instruction


@dataclass(slots=True)
class Stage:
    index: int
    name: str | None  # lower-cased, as BuildKit compares stage names
    name_raw: str | None  # as written after AS
    base: str  # the image reference as written (FROM's first non-flag arg)
    base_resolved: str | None  # after substituting global ARGs; None if a variable has no value
    platform: str | None  # value of --platform, as written
    from_instr: Instruction
    instructions: list[Instruction] = field(default_factory=list)  # after FROM, up to the next FROM
    base_stage: int | None = None  # index of an earlier stage when FROM names it


@dataclass(slots=True)
class Model:
    dockerfile: Dockerfile
    global_args: list[Instruction]  # ARGs before the first FROM
    stages: list[Stage]

    def stage_of(self, instr: Instruction) -> Stage | None:
        """The stage an instruction belongs to (None for global ARGs)."""
        raise NotImplementedError

    def vars_at(self, instr: Instruction) -> dict[str, str | None]:
        """ARG and ENV values visible to ``instr`` (declared before it in its stage,
        plus global ARGs re-declared in the stage, plus ENV inherited from a parent stage).
        ENV wins over ARG. An ARG without a value maps to None."""
        raise NotImplementedError

    def stage_by_ref(self, ref: str) -> Stage | None:
        """An earlier stage named ``ref`` (case-insensitive) or numbered ``ref``."""
        raise NotImplementedError

    def copy_from_edges(self) -> list[tuple[int, int, Instruction]]:
        """(source stage index, target stage index, instruction) for COPY --from / RUN --mount from=."""
        raise NotImplementedError

    @property
    def final_stage(self) -> Stage | None:
        return self.stages[-1] if self.stages else None


def build_model(dockerfile: Dockerfile) -> Model:
    raise NotImplementedError
