"""Look up what CODI knows about a base image: ``lookup("python:3.12-slim")``.

The data file is read and validated once (``load_database``); a bad file raises
``ImageDbError`` naming the file and the family entry at fault.
"""

from __future__ import annotations

import fnmatch
import functools
import json
import re
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from codi.imagedb.model import DEFAULT_SHELL, ConfigPatch, Database, Family, ImageConfig, Variant

DATA_FILE = "data/bases.json"

# Docker Hub spellings of the same repository; stripped so `docker.io/library/node` is `node`.
_HUB_PREFIXES = (
    "docker.io/library/",
    "index.docker.io/library/",
    "registry-1.docker.io/library/",
    "registry.docker.com/library/",
    "registry.hub.docker.com/library/",
    "docker.io/",
    "index.docker.io/",
    "registry-1.docker.io/",
    "registry.docker.com/",
    "registry.hub.docker.com/",
    "library/",
)
# Per-architecture copies of the official images (`amd64/debian` is `debian` built for amd64).
_ARCH_NAMESPACES = frozenset(
    {"amd64", "arm64v8", "arm32v7", "arm32v6", "arm32v5", "i386", "ppc64le", "s390x", "riscv64", "mips64le", "winamd64"}
)


class ImageDbError(ValueError):
    """The base-image data file is missing or invalid."""


def normalize_ref(ref: str) -> tuple[str, str]:
    """``(repository, tag)`` of a FROM reference: Docker Hub prefixes and the digest dropped,
    tag ``latest`` when absent (``docker.io/library/node:18@sha256:..`` -> ``("node", "18")``)."""
    name = ref.strip().split("@", 1)[0]
    last = name.rsplit("/", 1)[-1]
    tag = "latest"
    if ":" in last:
        name, _, tag = name.rpartition(":")
        tag = tag or "latest"
    name = name.lower()
    for prefix in _HUB_PREFIXES:
        if name.startswith(prefix):
            name = name[len(prefix):]
            break
    if name.startswith("library/"):
        name = name[len("library/"):]
    return name, tag


def _entry_label(raw: Any, loc: tuple[int | str, ...]) -> str:
    if len(loc) >= 2 and loc[0] == "families" and isinstance(loc[1], int):
        try:
            ident = raw["families"][loc[1]].get("id", "?")
        except (KeyError, IndexError, TypeError, AttributeError):
            ident = "?"
        return f"entry families[{loc[1]}] (id {ident!r})"
    return "top level"


def parse_database(raw: Any, name: str) -> Database:
    """Validate the decoded data file; errors name the file (``name``) and the entry."""
    try:
        db = Database.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = tuple(first["loc"])
        where = ".".join(str(p) for p in loc)
        raise ImageDbError(f"{name}: {_entry_label(raw, loc)}: {where}: {first['msg']}") from None
    seen: set[str] = set()
    for i, fam in enumerate(db.families):
        if fam.id in seen:
            raise ImageDbError(f"{name}: entry families[{i}] (id {fam.id!r}): duplicate id")
        seen.add(fam.id)
    return db


def read_database(path: Path) -> Database:
    """Read and validate a data file at ``path``."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ImageDbError(f"{path}: cannot read the base-image database: {exc}") from None
    return parse_database(raw, str(path))


@functools.cache
def load_database() -> Database:
    """The packaged data file, read and validated once."""
    resource = resources.files("codi.imagedb").joinpath(DATA_FILE)
    try:
        raw = json.loads(resource.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ImageDbError(f"{resource}: cannot read the base-image database: {exc}") from None
    return parse_database(raw, str(resource))


def database_version() -> str:
    """Version of the packaged data (``YYYY.MM.N``)."""
    return load_database().database_version


@functools.cache
def _index() -> tuple[Mapping[str, tuple[Family, ...]], tuple[Family, ...]]:
    exact: dict[str, list[Family]] = {}
    globbed: list[Family] = []
    for fam in load_database().families:
        for repo in fam.repositories:
            if "*" in repo:
                globbed.append(fam)
            else:
                exact.setdefault(repo, []).append(fam)
    return {k: tuple(v) for k, v in exact.items()}, tuple(globbed)


@functools.lru_cache(maxsize=4096)  # the database is read once and never changes; files repeat bases
def _best(repository: str, tag: str) -> tuple[Family, Variant] | None:
    exact, globbed = _index()
    candidates = [(1, fam) for fam in exact.get(repository, ())]
    candidates += [(0, fam) for fam in globbed if any(fnmatch.fnmatchcase(repository, r) for r in fam.repositories)]
    best: tuple[tuple[int, int, int], Family, Variant] | None = None
    order = 0
    for repo_exact, fam in candidates:
        for variant in fam.variants:
            order -= 1
            for glob in variant.tags:
                if fnmatch.fnmatchcase(tag, glob):
                    score = (repo_exact, len(glob.replace("*", "")), order)
                    if best is None or score > best[0]:
                        best = (score, fam, variant)
    return (best[1], best[2]) if best else None


def _runtime_version(fam: Family, variant: Variant, tag: str) -> str | None:
    if fam.runtime is None:
        return None
    if variant.runtime_version is not None:
        return variant.runtime_version
    if fam.runtime_version_pattern:
        found = re.search(fam.runtime_version_pattern, tag)
        if found and found.group("v"):
            return found.group("v")
    head = tag.split("-", 1)[0]
    if head in fam.version_aliases:
        return fam.version_aliases[head]
    return fam.runtime_version


def _field(name: str, base: ConfigPatch, patch: ConfigPatch) -> Any:
    return getattr(patch, name) if name in patch.model_fields_set else getattr(base, name)


def _config(fam: Family, variant: Variant, repository: str, tag: str, version: str) -> ImageConfig:
    base, patch = fam.config, variant.config
    env = dict(base.env or {})
    env.update(patch.env or {})

    def listed(name: str, default: list[str]) -> list[str]:
        value = _field(name, base, patch)
        return list(value) if value is not None else list(default)

    def optional(name: str) -> Any:
        value = _field(name, base, patch)
        return list(value) if isinstance(value, list) else value

    return ImageConfig(
        repository=repository,
        tag=tag,
        family=fam.id,
        env=env,
        entrypoint=optional("entrypoint"),
        cmd=optional("cmd"),
        user=_field("user", base, patch) or "",
        workdir=_field("workdir", base, patch) or "",
        exposed_ports=listed("exposed_ports", []),
        shell=listed("shell", DEFAULT_SHELL),
        healthcheck=optional("healthcheck"),
        stopsignal=optional("stopsignal"),
        volumes=listed("volumes", []),
        os_family=variant.os_family or fam.os_family,
        libc=variant.libc or fam.libc,
        runtime=fam.runtime,
        runtime_version=_runtime_version(fam, variant, tag),
        size_mb=variant.size_mb if variant.size_mb is not None else fam.size_mb,
        sources=list(fam.sources),
        database_version=version,
        env_complete=fam.env_complete,
    )


def lookup(ref: str) -> ImageConfig | None:
    """What CODI knows about the image ``ref`` (as written in FROM), or None when unknown."""
    if not ref or not ref.strip() or "$" in ref:
        return None
    repository, tag = normalize_ref(ref)
    match = _best(repository, tag)
    if match is None:
        head, _, rest = repository.partition("/")
        if head in _ARCH_NAMESPACES and rest:
            match = _best(rest, tag)
    if match is None:
        return None
    fam, variant = match
    return _config(fam, variant, repository, tag, load_database().database_version)
