"""Find a project's Dockerfile and read it."""

from __future__ import annotations

from pathlib import Path

from codi.service.errors import InputError

# Where Dockerfiles usually live, most common first.
DOCKERFILE_NAMES = (
    "Dockerfile", "Containerfile", "dockerfile", "docker/Dockerfile", "Dockerfile.prod", "Dockerfile.production",
    "build/Dockerfile", "deploy/Dockerfile", ".docker/Dockerfile", "docker/Containerfile",
)


def project_dir(path: str | Path) -> Path:
    project = Path(path)
    if not project.exists():
        raise InputError(f"{path}: no such project folder")
    if not project.is_dir():
        raise InputError(f"{path}: is a file, not a project folder (give the folder that holds the Dockerfile)")
    return project.resolve()


def find_dockerfile(project: Path, explicit: str | None = None) -> Path:
    """The Dockerfile to work on: ``explicit`` (relative to the project or absolute) or the first known name."""
    if explicit:
        path = Path(explicit)
        path = path if path.is_absolute() else project / path
        if not path.is_file():
            raise InputError(f"{explicit}: no such Dockerfile in {project}")
        return path
    for name in DOCKERFILE_NAMES:
        if (project / name).is_file():
            return project / name
    others = sorted(p for p in project.glob("*.Dockerfile")) + sorted(project.glob("Dockerfile.*"))
    if others:
        return others[0]
    raise InputError(f"{project}: no Dockerfile found (looked for {', '.join(DOCKERFILE_NAMES[:4])}, ...; "
                     "use --dockerfile to choose one)")


def read_dockerfile(path: Path) -> str:
    try:
        return path.read_bytes().decode("utf-8", "surrogateescape")
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from None
