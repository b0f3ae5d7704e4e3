"""The base-image database: the data file's pydantic schema and the answer type, ImageConfig.

The data file (``codi/imagedb/data/bases.json``) lists *families*: one image repository (or a
few that share their config) with the config every tag has, then *variants*, each a list of
tag globs with what differs for those tags (os, size, a config field). A lookup picks the
variant whose glob is most specific (``*-alpine*`` beats ``*``); config fields a variant sets
replace the family's, ``env`` keys are merged.

Config facts follow the image config (``docker image inspect`` .Config): ``Env`` as a mapping
(a ``null`` value: the name is set but its value depends on the exact tag), ``Entrypoint`` and
``Cmd`` as exec argv (``null``: not set), ``User`` (``""`` = root), ``WorkingDir`` (``""`` = /).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

OsFamily = Literal["debian", "ubuntu", "alpine", "distroless", "ubi", "scratch", "busybox", "windows", "other"]
Libc = Literal["glibc", "musl", "none"]

DEFAULT_SHELL = ["/bin/sh", "-c"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Source(_Strict):
    """Where a family's facts come from: a file at a commit of a public repository."""

    repository: str = Field(description="owner/name on GitHub, e.g. docker-library/python")
    path: str = Field(description="file inside the repository, e.g. 3.12/slim-trixie/Dockerfile")
    commit: str = Field(description="commit the file was read at ('' when not re-read)")
    note: str = ""


class ConfigPatch(_Strict):
    """Image config fields; in a family all are given, in a variant only the ones that differ."""

    env: dict[str, str | None] | None = None
    entrypoint: list[str] | None = None
    cmd: list[str] | None = None
    user: str | None = None
    workdir: str | None = None
    exposed_ports: list[str] | None = None
    shell: list[str] | None = None
    healthcheck: list[str] | None = None
    stopsignal: str | None = None
    volumes: list[str] | None = None

    @field_validator("exposed_ports")
    @classmethod
    def _ports(cls, value: list[str] | None) -> list[str] | None:
        for port in value or []:
            if not re.fullmatch(r"\d+/(tcp|udp|sctp)", port):
                raise ValueError(f"exposed port {port!r} is not NUMBER/tcp|udp|sctp")
        return value


class Variant(_Strict):
    """Tags (globs) of a family that share os, size and config."""

    tags: list[str] = Field(min_length=1, description="tag globs, e.g. '*-alpine*'; most specific wins")
    os_family: OsFamily | None = None
    libc: Libc | None = None
    size_mb: int | None = Field(default=None, ge=0, description="approx. uncompressed linux/amd64 MB")
    runtime_version: str | None = Field(default=None, description="fixed runtime version for these tags")
    config: ConfigPatch = ConfigPatch()
    note: str = ""


class Family(_Strict):
    """One image repository (or several with the same config) and its tag variants."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9._/-]*$")
    repositories: list[str] = Field(min_length=1, description="normalized names; a '*' glob is allowed")
    os_family: OsFamily
    libc: Libc
    runtime: str | None = None
    runtime_version_pattern: str | None = Field(
        default=None, description="regex searched in the tag; its group 'v' is the runtime version"
    )
    runtime_version: str | None = Field(default=None, description="fixed version when the tag does not say")
    version_aliases: dict[str, str] = Field(
        default_factory=dict, description="first dash-part of a tag (latest, lts, ...) -> version it pointed to"
    )
    aliases_as_of: str | None = Field(default=None, description="date the aliases were read, YYYY-MM-DD")
    size_mb: int | None = Field(default=None, ge=0)
    env_complete: bool = Field(
        default=True, description="false when the listed Env may miss names the image sets (facts not re-read)"
    )
    config: ConfigPatch
    variants: list[Variant] = Field(min_length=1)
    sources: list[Source] = Field(min_length=1)

    @field_validator("runtime_version_pattern")
    @classmethod
    def _pattern(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                compiled = re.compile(value)
            except re.error as exc:
                raise ValueError(f"runtime_version_pattern {value!r}: {exc}") from None
            if "v" not in compiled.groupindex:
                raise ValueError(f"runtime_version_pattern {value!r} has no (?P<v>...) group")
        return value


class Database(_Strict):
    """The whole data file."""

    schema_version: Literal[1]
    database_version: str = Field(pattern=r"^\d{4}\.\d{1,2}\.\d+$")
    description: str = ""
    families: list[Family] = Field(min_length=1)


def json_schema() -> dict[str, Any]:
    """The JSON Schema of the data file (checked in as schemas/imagedb.schema.json)."""
    return Database.model_json_schema()


@dataclass(frozen=True, slots=True)
class ImageConfig:
    """What CODI knows about one image reference (one repository:tag)."""

    repository: str
    tag: str
    family: str
    env: dict[str, str | None] = field(default_factory=dict)
    entrypoint: list[str] | None = None
    cmd: list[str] | None = None
    user: str = ""
    workdir: str = ""
    exposed_ports: list[str] = field(default_factory=list)
    shell: list[str] = field(default_factory=lambda: list(DEFAULT_SHELL))
    healthcheck: list[str] | None = None
    stopsignal: str | None = None
    volumes: list[str] = field(default_factory=list)
    os_family: str = "other"
    libc: str = "glibc"
    runtime: str | None = None
    runtime_version: str | None = None
    size_mb: int | None = None
    sources: list[Source] = field(default_factory=list)
    database_version: str = ""
    env_complete: bool = True  # False: ``env`` may miss names the image sets

    def describe(self) -> dict[str, Any]:
        """A JSON-ready dict of every fact (sizes are approximate: ``size_mb_approx``)."""
        return {
            "repository": self.repository,
            "tag": self.tag,
            "family": self.family,
            "entrypoint": self.entrypoint,
            "cmd": self.cmd,
            "user": self.user,
            "workdir": self.workdir,
            "env": dict(self.env),
            "env_complete": self.env_complete,
            "exposed_ports": list(self.exposed_ports),
            "shell": list(self.shell),
            "healthcheck": self.healthcheck,
            "stopsignal": self.stopsignal,
            "volumes": list(self.volumes),
            "os_family": self.os_family,
            "libc": self.libc,
            "runtime": self.runtime,
            "runtime_version": self.runtime_version,
            "size_mb_approx": self.size_mb,
            "sources": [s.model_dump() for s in self.sources],
            "database_version": self.database_version,
        }
