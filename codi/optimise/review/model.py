"""The review check's record: what a reviewer of the candidate's diff would reject, as data."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

Property = Literal["pins", "base_tag", "findings", "install_order", "env_twice", "dev_command", "venv_env"]
PROPERTIES: tuple[Property, ...] = ("pins", "base_tag", "findings", "install_order", "env_twice", "dev_command",
                                    "venv_env")


class ReviewProblem(BaseModel):
    property: Property
    message: str
    line: int | None = None  # the candidate's line, where there is one


class DeclaredBaseChange(BaseModel):
    """A change of a base image's tag that the candidate makes on purpose (a smaller variant of the same
    version; a digest that cannot be kept), with why."""

    model_config = {"extra": "forbid"}

    before: str
    after: str
    reason: str


class ReviewCheck(BaseModel):
    checked: list[Property] = Field(default_factory=lambda: list(PROPERTIES))
    problems: list[ReviewProblem] = Field(default_factory=list)
    declared: list[DeclaredBaseChange] = Field(default_factory=list)  # base changes the candidate declares

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        return "; ".join(p.message for p in self.problems)
