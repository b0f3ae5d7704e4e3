"""Find a project's Dockerfile and read it (confined to the project, a regular file, size-capped)."""

from __future__ import annotations

import os
from pathlib import Path

from codi import safefs
from codi.service.errors import InputError
from codi.service.lint import binary_line, binary_message, is_dockerfile_name

# Where Dockerfiles usually live, most common first.
DOCKERFILE_NAMES = (
    "Dockerfile", "Containerfile", "dockerfile", "docker/Dockerfile", "Dockerfile.prod", "Dockerfile.production",
    "build/Dockerfile", "deploy/Dockerfile", ".docker/Dockerfile", "docker/Containerfile",
)


def project_dir(path: str | Path) -> Path:
    project = Path(path)
    if "\x00" in str(path):
        raise InputError("project path contains a NUL byte")
    if not project.exists():
        if os.path.lexists(project):  # a link: say why it leads nowhere (a loop is not "no such folder")
            try:
                safefs.resolve_inside(project, None)
            except OSError as exc:
                raise InputError(f"{path}: {exc.strerror or exc}") from None
        raise InputError(f"{path}: no such project folder")
    if not project.is_dir():
        raise InputError(f"{path}: is a file, not a project folder (give the folder that holds the Dockerfile)")
    return project.resolve()


def find_dockerfile(project: Path, explicit: str | None = None) -> Path:
    """The Dockerfile to work on: ``explicit`` (relative to the project or absolute) or the first known name.

    A found name counts even when it is a link or not a regular file: reading it then says what is
    wrong with it (a link out of the project, a FIFO) instead of quietly taking another file."""
    if explicit:
        path = Path(explicit)
        path = path if path.is_absolute() else project / path
        if not safefs.found_file(path):
            raise InputError(f"{explicit}: no such Dockerfile in {project}")
        return path
    for name in DOCKERFILE_NAMES:
        if safefs.found_file(project / name):
            return project / name
    try:
        others = sorted((p for p in project.iterdir() if is_dockerfile_name(p.name) and safefs.found_file(p)),
                        key=lambda p: (not p.name.lower().endswith(".dockerfile"), p.name))
    except OSError as exc:
        raise InputError(f"{project}: cannot list: {exc.strerror or exc}") from None
    if others:
        return others[0]
    raise InputError(f"{project}: no Dockerfile found (looked for {', '.join(DOCKERFILE_NAMES[:4])}, ...; "
                     "use --dockerfile to choose one)")


def read_dockerfile(path: Path, project: Path | None = None) -> str:
    """The Dockerfile's text; with ``project``, it must lie inside it (a found file)."""
    try:
        text = safefs.read_text(path, project)
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except ValueError as exc:  # a bad CODI_MAX_FILE_SIZE
        raise InputError(str(exc)) from None
    line = binary_line(text)
    if line is not None:
        raise InputError(binary_message(str(path), line))
    return text
