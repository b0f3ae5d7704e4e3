"""Image references and platforms, checked the way Docker parses them (no registry access).

``is_valid_reference`` follows the grammar of distribution/reference's
``ParseNormalizedNamed``; ``parse_platform`` follows containerd's ``platforms.Parse`` for
the common spellings.
"""

from __future__ import annotations

import re

_ALNUM = r"[a-z0-9]+"
_SEP = r"(?:[._]|__|[-]+)"
_PATH_COMPONENT = re.compile(rf"{_ALNUM}(?:{_SEP}{_ALNUM})*")
_DOMAIN = re.compile(
    r"(?:localhost|(?:[A-Za-z0-9]|[A-Za-z0-9][A-Za-z0-9-]*[A-Za-z0-9])"
    r"(?:\.(?:[A-Za-z0-9]|[A-Za-z0-9][A-Za-z0-9-]*[A-Za-z0-9]))*|\[[0-9A-Fa-f:]+\])(?::[0-9]+)?"
)
_TAG = re.compile(r"[\w][\w.-]{0,127}")
_DIGEST = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}")


def split_reference(ref: str) -> tuple[str, str, str, str] | None:
    """(domain, path, tag, digest) of a valid reference, or None. Domain is "" when absent."""
    if not ref:
        return None
    rest, _, digest = ref.partition("@")
    if digest and not _DIGEST.fullmatch(digest):
        return None
    tag = ""
    slash = rest.rfind("/")
    colon = rest.rfind(":")
    if colon > slash:
        rest, tag = rest[:colon], rest[colon + 1 :]
        if not _TAG.fullmatch(tag):
            return None
    parts = rest.split("/")
    domain = ""
    first = parts[0]
    if len(parts) > 1 and ("." in first or ":" in first or first == "localhost" or first.startswith("[")):
        if not _DOMAIN.fullmatch(first):
            return None
        domain = first
        parts = parts[1:]
    if not parts or not all(_PATH_COMPONENT.fullmatch(p) for p in parts):
        return None
    path = "/".join(parts)
    if len(path) > 255 or re.fullmatch(r"[a-f0-9]{64}", path):
        return None
    return domain, path, tag, digest


def is_valid_reference(ref: str) -> bool:
    return split_reference(ref) is not None


def normalize_reference(ref: str) -> str:
    """``alpine`` -> ``docker.io/library/alpine:latest`` (Docker Hub defaults)."""
    parts = split_reference(ref)
    if parts is None:
        return ref
    domain, path, tag, digest = parts
    if domain in ("", "index.docker.io"):
        domain = "docker.io"
    if domain == "docker.io" and "/" not in path:
        path = "library/" + path
    out = f"{domain}/{path}"
    if tag or not digest:
        out += ":" + (tag or "latest")
    if digest:
        out += "@" + digest
    return out


_ARCH_ALIASES = {
    "x86_64": "amd64",
    "x86-64": "amd64",
    "aarch64": "arm64",
    "armhf": "arm",
    "armel": "arm",
    "i386": "386",
    "i686": "386",
    "x86": "386",
}
KNOWN_OS = frozenset(
    {
        "linux",
        "windows",
        "darwin",
        "freebsd",
        "netbsd",
        "openbsd",
        "solaris",
        "illumos",
        "aix",
        "plan9",
        "js",
        "wasip1",
    }
)


def parse_platform(value: str) -> tuple[str, str, str] | None:
    """(os, architecture, variant) of ``os[/arch[/variant]]``; for a single component that is
    not an OS, (``""``, arch, ``""``) (the OS then comes from the builder). None if malformed."""
    value = value.strip().lower()
    if not value or not re.fullmatch(r"[a-z0-9_.\-]+(?:/[a-z0-9_.\-]+){0,2}", value):
        return None
    parts = value.split("/")
    if len(parts) == 1:
        if parts[0] in KNOWN_OS:
            return parts[0], "", ""
        return "", _ARCH_ALIASES.get(parts[0], parts[0]), ""
    arch = _ARCH_ALIASES.get(parts[1], parts[1])
    variant = parts[2] if len(parts) == 3 else ""
    if arch == "arm64" and variant == "v8":
        variant = ""
    return parts[0], arch, variant


# Docker Hub's per-architecture namespaces: every image there is built for one platform.
ARCH_NAMESPACES: dict[str, tuple[str, str]] = {
    "amd64": ("linux", "amd64"),
    "arm32v5": ("linux", "arm"),
    "arm32v6": ("linux", "arm"),
    "arm32v7": ("linux", "arm"),
    "arm64v8": ("linux", "arm64"),
    "i386": ("linux", "386"),
    "mips64le": ("linux", "mips64le"),
    "ppc64le": ("linux", "ppc64le"),
    "riscv64": ("linux", "riscv64"),
    "s390x": ("linux", "s390x"),
    "windows-amd64": ("windows", "amd64"),
}
_NAMESPACE_VARIANT = {"arm32v5": "v5", "arm32v6": "v6", "arm32v7": "v7"}


def image_platform(ref: str) -> str | None:
    """The only platform an image can have when it lives in a Docker Hub per-architecture
    namespace (``arm64v8/alpine`` -> ``linux/arm64``); None when unknown."""
    parts = split_reference(ref)
    if parts is None:
        return None
    domain, path, _, _ = parts
    if domain not in ("", "docker.io", "index.docker.io"):
        return None
    namespace = path.split("/")[0] if "/" in path else ""
    if namespace not in ARCH_NAMESPACES:
        return None
    os_name, arch = ARCH_NAMESPACES[namespace]
    variant = _NAMESPACE_VARIANT.get(namespace, "")
    return f"{os_name}/{arch}" + (f"/{variant}" if variant else "")
