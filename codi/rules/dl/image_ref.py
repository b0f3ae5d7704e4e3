"""Reading image references and the values rules see in FROM lines (shared by the DL rules)."""

from __future__ import annotations

from dataclasses import dataclass

from codi.parser.expand import UnresolvedVariable, expand_strict
from codi.parser.semantic import Model, Stage

DOCKER_HUB = "docker.io"
_HUB_ALIASES = {"docker.io", "index.docker.io", "registry-1.docker.io", "registry.hub.docker.com"}

# ARGs BuildKit defines on its own for FROM lines; their values depend on the build, not the file.
AUTOMATIC_ARGS = frozenset(
    {
        "BUILDPLATFORM",
        "BUILDOS",
        "BUILDARCH",
        "BUILDVARIANT",
        "TARGETPLATFORM",
        "TARGETOS",
        "TARGETARCH",
        "TARGETVARIANT",
        "TARGETSTAGE",
        "BUILDKIT_SYNTAX",
    }
)


@dataclass(frozen=True, slots=True)
class ImageRef:
    """An image reference split the way the Docker reference grammar splits it."""

    registry: str | None  # as written, None when the reference has no registry part
    path: str
    tag: str | None
    digest: str | None

    @property
    def registry_or_hub(self) -> str:
        """The registry the image is pulled from (Docker Hub when none is written)."""
        if self.registry is None or self.registry.lower() in _HUB_ALIASES:
            return DOCKER_HUB
        return self.registry.lower()


def parse_image_ref(ref: str) -> ImageRef:
    """Split ``[registry/]path[:tag][@digest]``; the first part is a registry when it has a
    ``.`` or ``:`` or is ``localhost`` (so ``localhost:5000/app`` has no tag)."""
    rest, _, digest = ref.partition("@")
    registry: str | None = None
    first, slash, remainder = rest.partition("/")
    if slash and ("." in first or ":" in first or first == "localhost"):
        registry, rest = first, remainder
    last_slash = rest.rfind("/")
    colon = rest.rfind(":")
    tag: str | None = None
    if colon > last_slash:
        rest, tag = rest[:colon], rest[colon + 1 :]
    return ImageRef(registry=registry, path=rest, tag=tag or None, digest=digest or None)


def earlier_stage_named(model: Model, name: str, before: int) -> Stage | None:
    """A stage with index < ``before`` called ``name`` (BuildKit compares names lower-cased)."""
    key = name.lower()
    for stage in model.stages[:before]:
        if stage.name == key:
            return stage
    return None


def external_base(model: Model, stage: Stage) -> ImageRef | None:
    """The image a stage is built FROM, or None when that is an earlier stage, ``scratch``, or
    a reference whose ARG has no value (unknowable before the build)."""
    if stage.base_stage is not None or stage.base_resolved is None:
        return None
    resolved = stage.base_resolved.strip()
    if not resolved or resolved.lower() == "scratch":
        return None
    if earlier_stage_named(model, resolved, stage.index) is not None:
        return None
    return parse_image_ref(resolved)


def global_arg_values(model: Model, escape: str = "\\") -> dict[str, str | None]:
    """Values of the ARGs declared before the first FROM (None: declared without a default)."""
    values: dict[str, str | None] = {}
    for instr in model.global_args:
        for word in instr.args:
            name, eq, raw = word.partition("=")
            if not eq:
                values.setdefault(name, None)
                continue
            try:
                values[name] = expand_strict(raw, values, escape)
            except UnresolvedVariable:
                values[name] = None
    return values
