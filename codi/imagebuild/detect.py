"""Pick an engine: ``auto`` = a reachable Docker daemon, else buildah on PATH, else none (with why)."""

from __future__ import annotations

from codi.imagebuild.buildah import BuildahEngine
from codi.imagebuild.docker import DockerEngine
from codi.imagebuild.engine import Engine

ENGINE_NAMES = ("auto", "docker", "buildah")


def detect_engine(name: str = "auto") -> tuple[Engine | None, str]:
    """(engine, reason): the engine is None when none can run here, and the reason says why."""
    if name not in ENGINE_NAMES:
        return None, f"unknown engine {name!r} (choose from {', '.join(ENGINE_NAMES)})"
    candidates: list[Engine] = []
    if name in ("auto", "docker"):
        candidates.append(DockerEngine())
    if name in ("auto", "buildah"):
        candidates.append(BuildahEngine())
    reasons: list[str] = []
    for engine in candidates:
        why = engine.available()
        if why is None:
            return engine, f"{engine.name} is available"
        reasons.append(f"{engine.name}: {why}")
    return None, "no build engine: " + "; ".join(reasons)
