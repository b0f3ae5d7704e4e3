"""CD105 (full base image where a slim variant exists) and CD107 (build toolchain image as the final image)."""

from __future__ import annotations

import re
from collections.abc import Iterable

from codi.parser.semantic import Stage
from codi.rules.base import Applicability, Edit, Finding, Fix, Rule, RuleContext, Severity
from codi.rules.cd.stages import development_image, image_base
from codi.rules.dl.image_ref import ImageRef, parse_image_ref
from codi.rules.registry import register

_SUITES = ("trixie", "bookworm", "bullseye", "buster", "stretch")
_SMALL = ("slim", "alpine", "windowsservercore", "nanoserver", "distroless", "minimal", "jre")
# Official images with a -slim variant; node puts "slim" after the Debian suite, the others before.
_TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")  # anything else is a template or typo
_SLIM_REPOS = frozenset({"python", "node", "ruby", "perl", "debian", "pypy"})


def hub_repo(ref: ImageRef) -> str | None:
    """``python`` for ``python``, ``library/python`` or ``docker.io/library/python``; None elsewhere."""
    if ref.registry_or_hub != "docker.io":
        return None
    return ref.path.removeprefix("library/")


def slim_tag(repo: str, tag: str | None) -> str | None:
    """The slim variant's tag, or None when the tag is already small or has no known slim twin."""
    if repo not in _SLIM_REPOS or (tag is not None and not _TAG.match(tag)):
        return None
    if tag is None or tag == "latest":
        return "stable-slim" if repo == "debian" else "slim"
    parts = tag.lower().split("-")
    if any(p.startswith(small) for p in parts for small in _SMALL):
        return None
    if repo != "debian" and parts[-1] in _SUITES and len(parts) >= 2:
        version = "-".join(parts[:-1])
        return f"{version}-{parts[-1]}-slim" if repo == "node" else f"{version}-slim-{parts[-1]}"
    return f"{tag}-slim"


def _base_fix(ctx: RuleContext, stage: Stage, new_ref: str) -> Fix | None:
    """Replace the image word in FROM when it is written literally (no ARG)."""
    instr = stage.from_instr
    if "$" in stage.base or not instr.rest_offsets:
        return None
    at = instr.rest.find(stage.base)
    if at < 0:
        return None
    start = instr.rest_offsets[at]
    end = instr.rest_offsets[at + len(stage.base) - 1] + 1
    return Fix(f"use {new_ref}", Applicability.DISPLAY, [Edit(start, end, new_ref)])


@register
class FullBaseImage(Rule):
    """The final image starts from a full base image that has a slim variant.

    ## What it does
    Looks at the image the final stage is built on (following `FROM <stage>` back to an
    external image, with `ARG` values substituted) and reports official images that publish a
    much smaller `-slim` variant of the same release: `python`, `node`, `ruby`, `perl`, `pypy`
    and `debian`. The suggestion keeps the version and Debian release
    (`python:3.12-bookworm` -> `python:3.12-slim-bookworm`, `node:20-bookworm` ->
    `node:20-bookworm-slim`).

    Only the final image is checked: a build stage that the final stage merely copies from may
    well need the full image's compilers and headers, and its size never ships. Bases given
    by an `ARG` without a value are skipped (unknowable before the build).

    Development images (`Dockerfile.dev`, `.devcontainer/Dockerfile`, a final stage named `dev`;
    see CD303) are skipped: they are meant to carry the full toolset.

    ## Why is this bad?
    The full variants carry compilers, headers, version control tools and hundreds of
    libraries for building native extensions: `python:3.12` is about 1 GB, `python:3.12-slim`
    about 130 MB. At run time an application rarely needs any of it, and every extra package is
    more CVEs to triage.

    ## Example
    ```dockerfile
    FROM python:3.12
    COPY app.py .
    CMD ["python", "app.py"]
    ```

    ## Use instead
    ```dockerfile
    FROM python:3.12-slim
    COPY app.py .
    CMD ["python", "app.py"]
    ```

    ## Fix safety
    The suggested replacement is display-only: a slim image lacks packages the build may rely on
    (compilers, `git`, `curl`), so it needs a rebuild and a test run.

    ## References
    - [Docker Official Images: image variants (python)](https://hub.docker.com/_/python)
    """

    code = "CD105"
    name = "full-base-image"
    severity = Severity.INFO
    fix_applicability = Applicability.DISPLAY

    def check(self, ctx: RuleContext) -> Iterable[Finding]:
        found = None if development_image(ctx) else image_base(ctx.model)
        if found is None:
            return
        stage, base = found
        ref = parse_image_ref(base)
        repo = hub_repo(ref)
        if repo is None or ref.digest is not None:
            return
        tag = slim_tag(repo, ref.tag)
        if tag is None:
            return
        new_ref = base.rsplit(":", 1)[0] if ref.tag else base
        new_ref = f"{new_ref}:{tag}"
        yield self.finding(
            ctx, stage.from_instr,
            f"final image is based on the full `{base}`; `{new_ref}` is several times smaller",
            fix=_base_fix(ctx, stage, new_ref),
        )


def toolchain_advice(repo: str, tag: str | None) -> str | None:
    """Why an image is a build toolchain and what to run on instead, or None."""
    t = (tag or "").lower()
    if repo == "buildpack-deps" and t.split("-")[-1] in ("curl", "scm"):
        return None  # the curl/scm variants are Debian plus download tools, without compilers
    if repo in ("golang", "rust", "gcc", "buildpack-deps", "swift", "haskell"):
        return f"`{repo}` is a build toolchain; build in it and copy the binary into a small runtime image " \
               "(distroless, alpine, debian slim or scratch)"
    if repo in ("maven", "gradle"):
        return f"`{repo}` is a build tool image; copy the built jar into a JRE image (eclipse-temurin:<v>-jre)"
    if repo in ("eclipse-temurin", "openjdk", "amazoncorretto", "ibm-semeru-runtimes", "sapmachine", "ibmjava"):
        if "jre" in t:
            return None
        return f"`{repo}:{tag or 'latest'}` is a full JDK; run on a JRE image (eclipse-temurin:<v>-jre) or a " \
               "jlink-ed runtime"
    if repo == "dotnet/sdk":
        return "`dotnet/sdk` is the .NET SDK; publish in it and run on mcr.microsoft.com/dotnet/aspnet or runtime"
    return None


@register
class ToolchainFinalImage(Rule):
    """The final image is a compiler or build-tool image.

    ## What it does
    Reports a final image (the last stage, followed back through `FROM <stage>` to an external
    image, `ARG` values substituted) built on a build toolchain: `golang`, `rust`, `gcc`,
    `buildpack-deps` (not its `-curl`/`-scm` variants), `swift`, `haskell`, `maven`, `gradle`,
    a full JDK (`eclipse-temurin`, `openjdk`, `amazoncorretto`, `ibm-semeru-runtimes`,
    `sapmachine` tags that are not `jre`) or the .NET SDK (`mcr.microsoft.com/dotnet/sdk`).

    Development images (`Dockerfile.dev`, `.devcontainer/Dockerfile`, a final stage named `dev`;
    see CD303) are skipped: they are meant to carry a toolchain.

    ## Why is this bad?
    Toolchain images are built for compiling: `golang` is about 800 MB and `maven` ships a
    JDK, Maven and its repository, while the program they produce needs a few megabytes (a
    static Go binary) or a JRE. Shipping the toolchain makes every pull slower, puts a compiler
    in production and usually keeps the source code in the image too. A multi-stage build
    compiles in the toolchain stage and copies only the result into a small runtime image.

    ## Example
    ```dockerfile
    FROM golang:1.22
    WORKDIR /src
    COPY . .
    RUN go build -o /app .
    CMD ["/app"]
    ```

    ## Use instead
    ```dockerfile
    FROM golang:1.22 AS build
    WORKDIR /src
    COPY . .
    RUN CGO_ENABLED=0 go build -o /app .

    FROM gcr.io/distroless/static-debian12
    COPY --from=build /app /app
    CMD ["/app"]
    ```

    ## References
    - [Docker: multi-stage builds](https://docs.docker.com/build/building/multi-stage/)
    """

    code = "CD107"
    name = "toolchain-final-image"
    severity = Severity.WARNING

    def check(self, ctx: RuleContext) -> Iterable[Finding]:
        found = None if development_image(ctx) else image_base(ctx.model)
        if found is None:
            return
        stage, base = found
        ref = parse_image_ref(base)
        if ref.registry_or_hub == "mcr.microsoft.com":
            repo: str | None = ref.path
        else:
            repo = hub_repo(ref)
        if repo is None:
            return
        advice = toolchain_advice(repo, ref.tag)
        if advice is not None:
            yield self.finding(ctx, stage.from_instr, f"final image is based on `{base}`: {advice}")
