"""The parts of an image reference, and the same image in another variant.

``python:3.9.10-slim-bookworm@sha256:ab..`` has the version ``3.9.10``, the variant ``slim``, the OS
release ``bookworm`` and a digest. A candidate that swaps an image for a smaller variant keeps the
version, the release and, where the reference stays the same, the digest (``same_image``); the review
check compares the same parts (``precision_lost``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from codi.imagedb.lookup import normalize_ref

_CODENAMES = frozenset({"jessie", "stretch", "buster", "bullseye", "bookworm", "trixie", "forky", "sid",
                        "xenial", "bionic", "focal", "jammy", "noble", "oracular", "plucky", "questing"})
_RELEASE = re.compile(r"^(alpine\d+(\.\d+)*|ubi\d+(\.\d+)*|ltsc\d+|\d{4}|el\d+|centos\d+|al2(023)?)$")
_VERSION = re.compile(r"^v?\d+([._]\d+)*([a-z]+\d*)?$")
_ALIASES = frozenset({"latest", "stable", "lts", "mainline", "current", "edge", "rolling"})
# Repositories that put the variant after the OS release (``node:20-bookworm-slim``); the others put
# it before (``python:3.12-slim-bookworm``, ``ruby:3.4-slim-bookworm``, ``eclipse-temurin:17-jre-jammy``).
_RELEASE_FIRST = frozenset({"node"})


@dataclass(frozen=True, slots=True)
class ImageRef:
    written: str  # the reference as written, digest included
    name: str  # the part before the tag, as written (``docker.io/library/python``)
    repo: str  # normalised repository (``python``)
    tag: str  # "" when the reference has none
    digest: str  # "" when none
    version: str  # leading version word (``3.9.10``, ``stable``), "" when the tag starts otherwise
    variants: tuple[str, ...]  # the other words, in order (``slim``, ``jre``, ``alpine``)
    release: str  # OS release word (``bookworm``, ``alpine3.19``, ``jammy``), "" when none

    @property
    def numeric(self) -> bool:
        return bool(self.version) and self.version not in _ALIASES

    def without_digest(self) -> str:
        return f"{self.name}:{self.tag}" if self.tag else self.name


def parse_ref(ref: str) -> ImageRef:
    written = ref.strip()
    head, _, digest = written.partition("@")
    last = head.rsplit("/", 1)[-1]
    name, tag = (head.rpartition(":")[0], head.rpartition(":")[2]) if ":" in last else (head, "")
    words = tag.split("-") if tag else []
    version = ""
    if words and (_VERSION.match(words[0]) or words[0] in _ALIASES):
        version = words.pop(0)
    release = ""
    for i, word in enumerate(words):
        if word in _CODENAMES or _RELEASE.match(word):
            release = words.pop(i)
            break
    return ImageRef(written, name, normalize_ref(head)[0], tag, digest, version, tuple(words), release)


def _tag(repo: str, version: str, variants: tuple[str, ...], release: str) -> str:
    words = [version] if version else []
    words += [release, *variants] if repo in _RELEASE_FIRST else [*variants, release]
    return "-".join(w for w in words if w)


def same_image(original: ImageRef, variants: tuple[str, ...]) -> str:
    """``original`` in the variant ``variants`` (() for the full image), keeping its version, its OS
    release where the variant runs the same OS, and its digest when the reference does not change."""
    release = original.release
    alpine = "alpine" in variants
    if release.startswith("alpine"):
        if alpine:
            variants = tuple(release if v == "alpine" else v for v in variants)
        release = ""  # the Alpine release is in the variant words now, or the OS changes
    elif alpine:
        release = ""
    tag = _tag(original.repo, original.version, variants, release) or "latest"
    if tag == original.tag and original.digest:
        return f"{original.name}:{tag}@{original.digest}"
    return f"{original.name}:{tag}"


def version_parts(version: str) -> list[str]:
    return re.split(r"[._]", version)


def refines(general: str, exact: str) -> bool:
    """``exact`` is ``general`` or a more precise version of it (``3.9`` -> ``3.9.10``)."""
    a, b = version_parts(general), version_parts(exact)
    return len(a) <= len(b) and b[: len(a)] == a


def precision_lost(original: ImageRef, candidate: ImageRef) -> list[str]:
    """What ``candidate`` (same repository) drops or changes of ``original``'s tag: "" entries never;
    each item names one part (version, release, variant, digest)."""
    out: list[str] = []
    if candidate.written == original.written:
        return out
    if original.numeric and candidate.version != original.version:
        if candidate.numeric and refines(candidate.version, original.version):
            out.append(f"version {original.version} loosened to {candidate.version}")
        else:
            out.append(f"version {original.version} changed to {candidate.version or '(none)'}")
    if original.release and candidate.release != original.release:
        out.append(f"OS release {original.release} " + (f"changed to {candidate.release}" if candidate.release
                                                          else "dropped"))
    if original.variants != candidate.variants:
        out.append(f"variant {'-'.join(original.variants) or '(full image)'} changed to "
                   f"{'-'.join(candidate.variants) or '(full image)'}")
    if original.digest and candidate.digest != original.digest:
        out.append("digest pin dropped")
    return out
