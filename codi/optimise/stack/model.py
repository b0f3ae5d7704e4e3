"""What stack detection finds, with the evidence behind each claim."""

from __future__ import annotations

from pydantic import BaseModel, Field


class Evidence(BaseModel):
    """One concrete fact: which file, which line (if any), what matched."""

    file: str
    line: int | None = None
    matched: str


class Framework(BaseModel):
    name: str
    evidence: Evidence


class Entrypoint(BaseModel):
    """The command the runtime image should run.

    ``derived`` is True when it comes from the project's own manifests; False
    when CODI could not derive one and kept the original Dockerfile's command.
    """

    argv: list[str]
    derived: bool
    source: str
    evidence: Evidence | None = None


class StackMatch(BaseModel):
    stack: str
    package_manager: str | None = None
    confidence: float = 0.0
    evidence: list[Evidence] = Field(default_factory=list)
    frameworks: list[Framework] = Field(default_factory=list)
    entrypoint: Entrypoint | None = None
    runtime_version: str | None = None
    manifests: list[str] = Field(default_factory=list)  # dependency files to copy before the source
    build_output: str | None = None  # jar path, binary name, published dll, ...
    build_target: str | None = None  # go package path, gradle/maven module, ...
    ports: list[int] = Field(default_factory=list)

    def add(self, weight: float, evidence: Evidence) -> None:
        """Record evidence and raise confidence (capped at 1.0)."""
        self.evidence.append(evidence)
        self.confidence = round(min(1.0, self.confidence + weight), 3)


class Detection(BaseModel):
    primary: StackMatch | None = None
    others: list[StackMatch] = Field(default_factory=list)

    @property
    def stack(self) -> str:
        return self.primary.stack if self.primary else "unknown"
