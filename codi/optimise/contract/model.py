"""The runtime contract of an image: what a container of it depends on (data, compared as records)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

Risk = Literal["low", "medium", "high"]
# Where a contract fact comes from: the Dockerfile, the base image's config, or nobody knows.
Origin = Literal["dockerfile", "base", "unknown"]


class ContextCopy(BaseModel):
    """Build-context path ``source`` ends up at ``dest`` in the final image (directly or via a stage)."""

    source: str  # normalised context path ("" = the whole context), may hold wildcards
    dest: str  # absolute path in the image
    line: int | None = None  # the COPY/ADD that brought it in the image's own stages
    chown: str | None = None
    chmod: str | None = None
    via: str | None = None  # the stage a `COPY --from=<stage>` brought it from (None: copied from the context)


class Executable(BaseModel):
    """A program the image's command or health check calls, and what provides it."""

    name: str  # as written: "/usr/local/bin/docker-entrypoint.sh", "curl", "tini"
    used_by: str  # ENTRYPOINT, CMD or HEALTHCHECK
    provider: Literal["context", "stage", "package", "base", "runtime", "unknown"]
    detail: str = ""


class DependencySource(BaseModel):
    """One way the image installs application dependencies: a file, the project, or packages named inline."""

    manager: str  # pip (uv pip too), poetry, uv, pipenv, npm, yarn, pnpm
    source: str  # "inline", "project", or the file it reads ("requirements.txt", "poetry.lock", "package.json")
    packages: list[str] = Field(default_factory=list)  # inline specs, normalised ("fastapi==0.115.0")
    # Which groups of the manifest the install installs, as sorted tokens (codi.optimise.contract.scope):
    # ["dev", "optional", "peer", "prod"] for `npm ci`, ["group:main"] for `poetry install --only main`.
    scope: list[str] = Field(default_factory=list)
    # False: the install is in a stage the image only copies built files from (not its node_modules), so
    # its scope does not decide what the image ships (not compared).
    shipped: bool = True
    line: int | None = None  # the RUN that installs them (not compared)

    @property
    def key(self) -> str:
        what = " ".join(self.packages) if self.source == "inline" else self.source
        return f"{self.manager}: {what}"


class RuntimeContract(BaseModel):
    """Effective runtime settings of one image (an original's built stage or a candidate)."""

    base: str | None = None  # the final stage's base image, resolved
    base_known: bool = False  # CODI's image knowledge has facts about it
    entrypoint: list[str] | None = None  # effective exec argv (shell form as [*SHELL, text])
    entrypoint_origin: Origin = "dockerfile"
    cmd: list[str] | None = None
    cmd_origin: Origin = "dockerfile"
    user: str = ""  # "" is root
    user_origin: Origin = "dockerfile"
    workdir: str = "/"
    env: dict[str, str | None] = Field(default_factory=dict)  # None: set, value depends on the exact tag
    env_unknown_base: bool = False  # the base's ENV is not known (only the Dockerfile's is listed)
    expose_written: list[str] = Field(default_factory=list)  # EXPOSE arguments as written
    ports: list[str] = Field(default_factory=list)  # expanded under the build args, "8000/tcp"
    volumes: list[str] = Field(default_factory=list)
    stopsignal: str | None = None
    healthcheck: str | None = None  # normalised: "--interval=30s CMD [...]", "NONE", or None
    label_keys: list[str] = Field(default_factory=list)
    onbuild: list[str] = Field(default_factory=list)
    shell: list[str] = Field(default_factory=lambda: ["/bin/sh", "-c"])
    runtime: str | None = None
    runtime_version: str | None = None
    os_family: str | None = None
    files: list[ContextCopy] = Field(default_factory=list)
    executables: list[Executable] = Field(default_factory=list)
    packages: list[str] = Field(default_factory=list)  # system packages the image's RUN steps install
    made_dirs: list[str] = Field(default_factory=list)  # folders the image's RUN steps mkdir
    # Application dependencies the image's stages install, and from where (issue 24: same as the original's).
    dependencies: list[DependencySource] = Field(default_factory=list)


class ContractChange(BaseModel):
    """One difference between the original's contract and a candidate's."""

    field: str  # a RuntimeContract field name
    key: str | None = None  # env name, port, file, executable
    before: str
    after: str
    message: str


class DeclaredChange(BaseModel):
    """A contract change a fix or catalog rule makes on purpose, with why and how risky."""

    model_config = {"extra": "forbid"}

    field: str
    key: str | None = None  # None: any key of the field
    reason: str
    risk: Risk = "low"


class IntendedChange(ContractChange):
    reason: str
    risk: Risk


class ContractCheck(BaseModel):
    intended: list[IntendedChange] = Field(default_factory=list)
    violations: list[ContractChange] = Field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.violations
