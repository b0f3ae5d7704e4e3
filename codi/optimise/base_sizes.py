"""Approximate uncompressed sizes of common base images, for *estimated* numbers only.

Source: the uncompressed size `docker image ls` shows for the official linux/amd64 images
(Docker Official Images, gcr.io/distroless, mcr.microsoft.com), rounded to the MB, as compiled by
the CODI maintainers in 2026-11 (SIZE_TABLE_DATE). They drift with every upstream release, so
every number derived from them is labelled "estimated"; `codi run --real` measures instead.
Keys are (repository, tag pattern) with `*` for a version; the most specific match wins.
"""

from __future__ import annotations

import fnmatch

SIZE_TABLE_DATE = "2026-11"
SIZE_TABLE_SOURCE = "docker image ls (uncompressed, linux/amd64) of the official images, rounded; approximate"
MB = 1_000_000

# (repository, tag glob) -> MB
BASE_IMAGE_MB: dict[tuple[str, str], int] = {
    ("scratch", "*"): 0,
    ("alpine", "*"): 8,
    ("busybox", "*"): 4,
    ("debian", "*-slim"): 75, ("debian", "*"): 117,
    ("ubuntu", "*"): 78,
    ("python", "*-alpine*"): 57, ("python", "*-slim*"): 130, ("python", "*"): 1020,
    ("node", "*-alpine*"): 135, ("node", "*-slim*"): 200, ("node", "*"): 1100,
    ("golang", "*-alpine*"): 250, ("golang", "*"): 815,
    ("rust", "*-alpine*"): 850, ("rust", "*-slim*"): 800, ("rust", "*"): 1450,
    ("eclipse-temurin", "*-jre-alpine*"): 170, ("eclipse-temurin", "*-jre*"): 270,
    ("eclipse-temurin", "*-alpine*"): 330, ("eclipse-temurin", "*"): 410,
    ("openjdk", "*-slim*"): 400, ("openjdk", "*"): 470,
    ("amazoncorretto", "*-alpine*"): 290, ("amazoncorretto", "*"): 420,
    ("maven", "*"): 480, ("gradle", "*"): 700,
    ("ruby", "*-alpine*"): 90, ("ruby", "*-slim*"): 220, ("ruby", "*"): 1000,
    ("php", "*-alpine*"): 90, ("php", "*"): 500, ("composer", "*"): 200,
    ("nginx", "*-alpine*"): 45, ("nginx", "*"): 190,
    ("distroless/static-debian12", "*"): 2, ("distroless/static", "*"): 2,
    ("distroless/base-debian12", "*"): 21, ("distroless/cc-debian12", "*"): 23,
    ("distroless/python3-debian12", "*"): 53, ("distroless/nodejs20-debian12", "*"): 130,
    ("distroless/java17-debian12", "*"): 230, ("distroless/java21-debian12", "*"): 240,
    ("dotnet/sdk", "*"): 850, ("dotnet/aspnet", "*-alpine*"): 110, ("dotnet/aspnet", "*"): 220,
    ("dotnet/runtime", "*"): 195, ("dotnet/runtime-deps", "*"): 120,
}


def _split(ref: str) -> tuple[str, str]:
    ref = ref.split("@", 1)[0]
    name, _, tag = ref.rpartition(":") if ":" in ref.rsplit("/", 1)[-1] else (ref, "", "latest")
    for prefix in ("docker.io/library/", "docker.io/", "library/", "gcr.io/", "mcr.microsoft.com/"):
        if name.startswith(prefix):
            name = name[len(prefix):]
    return name, tag or "latest"


def base_image_bytes(ref: str | None) -> int | None:
    """Approximate size of ``ref`` in bytes, or None when the table does not know it."""
    if not ref:
        return None
    if ref == "scratch":
        return 0
    name, tag = _split(ref)
    best: tuple[int, int] | None = None  # (specificity, MB)
    for (repo, pattern), size in BASE_IMAGE_MB.items():
        if name != repo and not name.endswith("/" + repo):
            continue
        if fnmatch.fnmatchcase(tag, pattern):
            specificity = len(pattern.replace("*", ""))
            if best is None or specificity > best[0]:
                best = (specificity, size)
    return best[1] * MB if best else None
