"""Which runtime version a stand-in really holds, and which tag it stood in for.

Stand-ins carry Debian's runtime (bookworm: Python 3.11, Node 18, Go 1.23 from backports, Java 17) whatever version the
Dockerfile's tag names. ``codi bases bootstrap`` reads the versions from the stand-in's dpkg status and
keeps them beside its tarball (``<key>-<suite>.runtime.json``); a measured run reports them.
"""

from __future__ import annotations

import json
import re
import tarfile
from pathlib import Path

# Debian package -> the runtime's name, as reports say it.
RUNTIME_PACKAGES = {"python3": "Python", "nodejs": "Node.js", "golang-go": "Go",
                    "openjdk-17-jre-headless": "Java", "openjdk-17-jdk-headless": "Java"}
_STATUS = {"var/lib/dpkg/status", "./var/lib/dpkg/status"}
# The official node images tag each LTS line by its codename too (node:iron-slim is node:20-slim).
NODE_CODENAMES = {"argon": "4", "boron": "6", "carbon": "8", "dubnium": "10", "erbium": "12", "fermium": "14",
                  "gallium": "16", "hydrogen": "18", "iron": "20", "jod": "22", "krypton": "24"}
_UPSTREAM = re.compile(r"^(?:\d+:)?(\d+(?:\.\d+)*)")  # epoch dropped, upstream digits kept


def upstream(version: str) -> str:
    """``3.11.2-1+b1`` -> ``3.11.2``; ``2:1.19~1`` -> ``1.19``; ``18.19.0+dfsg-6~deb12u2`` -> ``18.19.0``."""
    match = _UPSTREAM.match(version.strip())
    return match.group(1) if match else version.strip()


def versions_from_status(text: str) -> dict[str, str]:
    """{runtime: version} of the runtime packages installed according to a dpkg status file."""
    out: dict[str, str] = {}
    for block in text.split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line and not line[0].isspace())
        name = fields.get("Package", "")
        if name in RUNTIME_PACKAGES and "installed" in fields.get("Status", "") and fields.get("Version"):
            out.setdefault(RUNTIME_PACKAGES[name], upstream(fields["Version"]))
    return out


def versions_from_tarball(tarball: Path) -> dict[str, str]:
    """The runtime versions in a stand-in's root-filesystem tarball ({} when it has no dpkg status or is
    not a tarball: the versions are for reports, never a reason to fail a bootstrap)."""
    try:
        with tarfile.open(tarball) as tar:
            for member in tar:
                if member.name in _STATUS and member.isfile():
                    handle = tar.extractfile(member)
                    return versions_from_status(handle.read().decode("utf-8", "replace")) if handle else {}
    except (OSError, tarfile.TarError):
        return {}
    return {}


def sidecar(root: Path, key: str, suite: str) -> Path:
    return root / f"{key}-{suite}.runtime.json"


def record(root: Path, key: str, suite: str, tarball: Path, versions: dict[str, str] | None = None) -> dict[str, str]:
    """Read the versions from ``tarball`` (unless given) once and keep them beside it."""
    path = sidecar(root, key, suite)
    versions = versions_from_tarball(tarball) if versions is None else versions
    partial = path.with_name(f".{path.name}.partial")
    partial.write_text(json.dumps(versions, sort_keys=True) + "\n", encoding="utf-8")
    partial.replace(path)
    return versions


def known(root: Path, key: str, suite: str) -> dict[str, str]:
    """The recorded versions; for a stand-in bootstrapped before they were recorded, read from its tarball
    once (a few seconds) and kept."""
    versions = recorded(root, key, suite)
    tarball = root / f"{key}-{suite}.tar"
    if versions or not tarball.is_file():
        return versions
    try:
        return record(root, key, suite, tarball)
    except OSError:
        return versions_from_tarball(tarball)


def recorded(root: Path, key: str, suite: str) -> dict[str, str]:
    try:
        data = json.loads(sidecar(root, key, suite).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def tag_version(ref: str) -> str | None:
    """The version a reference's tag names: ``python:3.12-slim`` -> ``3.12``; ``node:lts`` -> None."""
    name = ref.split("@")[0]
    _, sep, tag = name.rpartition(":")
    if not sep or "/" in tag:
        return None
    match = re.match(r"^(\d+(?:\.\d+)*)", tag)
    if match is None and name.rsplit("/", 1)[-1].startswith("node:"):
        return NODE_CODENAMES.get(tag.partition("-")[0].lower())
    return match.group(1) if match else None


def stood_in(ref: str, versions: dict[str, str]) -> str | None:
    """"Python 3.11.2 stood in for python:3.12-slim (the tag names 3.12)", or None without versions."""
    if not versions:
        return None
    held = ", ".join(f"{name} {version}" for name, version in sorted(versions.items()))
    wanted = tag_version(ref)
    if wanted is None:
        return f"{held} stood in for {ref}"
    same = all(v == wanted or v.startswith(wanted + ".") for v in versions.values())
    return f"{held} stood in for {ref}" + ("" if same else f" (the tag names {wanted}: not proven on {wanted})")
