"""The base map: FROM references rewritten at build time only (candidate files stay untouched).

Sources, later wins: the map ``codi bases bootstrap`` wrote (``<cache>/bases.toml``), the ``[bases]``
table of the project's ``.codi.toml``, then env ``CODI_BASE_MAP="a=b,c=d"``. Keys are image references
or shell-style patterns (``python:*-slim``); an exact key beats a pattern, a longer pattern beats a shorter.
"""

from __future__ import annotations

import fnmatch
import os
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path

from codi.cachehome import cache_home
from codi.fix.edits import apply_edits
from codi.imagebuild import runtimes
from codi.parser import ParseError, parse
from codi.parser.model import Flag
from codi.parser.mounts import FROM_KEYS, with_field
from codi.parser.semantic import build_model, from_flags
from codi.rules.base import Edit

_FROM = re.compile(r"^(?P<head>\s*FROM\s+(?:--\S+\s+)*)(?P<image>\S+)(?P<rest>.*)$", re.IGNORECASE)
_ALIAS = re.compile(r"\s+AS\s+(?P<name>\S+)\s*$", re.IGNORECASE)


def cache_dir() -> Path:
    """Where stand-in rootfs tarballs and the bootstrap base map live (env CODI_BASES_DIR)."""
    env = os.environ.get("CODI_BASES_DIR")
    if env:
        return Path(env)
    return cache_home() / "bases"


def parse_env_map(text: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in text.split(","):
        key, sep, value = item.strip().partition("=")
        if sep and key.strip() and value.strip():
            out[key.strip()] = value.strip()
    return out


def _toml_table(path: Path) -> dict[str, str]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError):
        return {}
    table = data.get("bases")
    if table is None and isinstance(data.get("tool"), dict):
        table = data["tool"].get("codi", {}).get("bases")
    if not isinstance(table, dict):
        return {}
    return {str(k): str(v) for k, v in table.items()}


def load_base_map(project: Path | None = None) -> tuple[dict[str, str], list[str]]:
    """(map, where each part came from)."""
    merged: dict[str, str] = {}
    sources: list[str] = []
    boot = cache_dir() / "bases.toml"
    for path in [boot] + ([project / ".codi.toml"] if project else []):
        table = _toml_table(path) if path.is_file() else {}
        if table:
            merged.update(table)
            sources.append(str(path))
    env = parse_env_map(os.environ.get("CODI_BASE_MAP", ""))
    if env:
        merged.update(env)
        sources.append("env CODI_BASE_MAP")
    return merged, sources


STANDIN_PREFIX = "localhost/codi-standin/"


def is_alpine(ref: str) -> bool:
    """An Alpine image (``alpine``, ``alpine:3.20``, ``python:3.12-alpine``, ``node:22-alpine3.20``)."""
    name, _, tag = ref.rpartition("@")[0].rpartition(":") if "@" in ref else ref.rpartition(":")
    if not name or "/" in tag:  # no tag: the ":" was a registry port (or there was none)
        name, tag = ref.split("@")[0], ""
    return name.rsplit("/", 1)[-1] == "alpine" or "alpine" in tag.lower()


def lookup(ref: str, base_map: dict[str, str]) -> str | None:
    """The image ``ref`` is built on: for each of its spellings (``spellings``), an exact key first, then the
    longest matching pattern. An Alpine image is never mapped onto a stand-in (they are Debian: musl vs
    glibc, busybox vs shadow, apk vs apt)."""
    alpine = is_alpine(ref)

    def allowed(target: str) -> bool:
        return not (alpine and target.startswith(STANDIN_PREFIX))

    patterns = sorted((k for k in base_map if any(c in k for c in "*?[")), key=len, reverse=True)
    for spelling in spellings(ref):
        if spelling in base_map:
            return base_map[spelling] if allowed(base_map[spelling]) else None
        for pattern in patterns:
            if fnmatch.fnmatchcase(spelling, pattern) and allowed(base_map[pattern]):
                return base_map[pattern]
    return None


_HUB_HOSTS = ("docker.io/", "index.docker.io/", "registry-1.docker.io/")
_VERSION_TAG = re.compile(r"^(?P<version>\d+(?:\.\d+)+)(?P<rest>.*)$")


def spellings(ref: str) -> list[str]:
    """``ref`` as written, then the same image under the names a base map keys on: Docker Hub's short
    name without a digest (``docker.io/library/node:20@sha256:..`` -> ``node:20``), a Node.js LTS codename
    as its major (``node:iron-slim`` -> ``node:20-slim``), then the tag's version shortened one part at a
    time (``node:20.11.1-bookworm`` -> ``node:20.11-bookworm`` -> ``node:20-bookworm``). The image stays
    the one the reference names: only its spelling changes (a stand-in never is the exact image anyway)."""
    name = ref.split("@", 1)[0]
    for host in _HUB_HOSTS:
        if name.lower().startswith(host):
            name = name[len(host):]
            break
    name = name.removeprefix("library/")
    repo, sep, tag = name.rpartition(":")
    if not sep or "/" in tag:  # no tag (a ":" there was a registry port)
        repo, tag = name, ""
    if repo == "node" and tag:
        codename, dash, rest = tag.partition("-")
        major = runtimes.NODE_CODENAMES.get(codename.lower())
        tag = f"{major}{dash}{rest}" if major else tag
    out = [ref, f"{repo}:{tag}" if tag else repo]
    match = _VERSION_TAG.match(tag)
    if match:
        parts = match.group("version").split(".")
        out += [f"{repo}:{'.'.join(parts[:n])}{match.group('rest')}" for n in range(len(parts) - 1, 0, -1)]
    return list(dict.fromkeys(out))


def _resolved_froms(text: str, build_args: Mapping[str, str] | None) -> dict[int, str | None]:
    """Line number of each FROM -> its image with global ARGs expanded (None: it names a stage).

    BuildKit expands FROM with the ARGs declared before the first FROM (their defaults, or the
    ``--build-arg`` values); the semantic model does exactly that. A file the parser rejects gets
    no expansion, so its FROM lines are matched as written.
    """
    try:
        model = build_model(parse(text), build_args)
    except ParseError:
        return {}
    out: dict[int, str | None] = {}
    for stage in model.stages:
        ref = None if stage.base_stage is not None else (stage.base_resolved or stage.base)
        out[stage.from_instr.start_line] = ref
    return out


def external_bases(text: str, build_args: Mapping[str, str] | None = None) -> list[str]:
    """The images a file's FROM lines pull in (stage references left out), expanded, each once."""
    refs = [ref for ref in _resolved_froms(text, build_args).values() if ref is not None]
    return list(dict.fromkeys(refs))


def _copy_sources(text: str) -> list[tuple[Flag, str]]:
    """(flag, image) of each ``COPY --from=IMAGE`` and ``RUN --mount=...,from=IMAGE`` that names an image,
    not a stage of the file (BuildKit takes such a name as an image, taken as written)."""
    try:
        model = build_model(parse(text))
    except ParseError:
        return []
    return [(flag, ref) for stage in model.stages for instr in stage.instructions for flag, ref in from_flags(instr)
            if "$" not in ref and model.stage_by_ref(ref) is None]


def copied_images(text: str) -> list[str]:
    """The images a file copies from or mounts (``COPY --from=ghcr.io/astral-sh/uv:0.5 /uv /bin/``), each once."""
    return list(dict.fromkeys(ref for _, ref in _copy_sources(text)))


def _map_copy_sources(text: str, base_map: dict[str, str], used: dict[str, str]) -> str:
    edits: list[Edit] = []
    for flag, ref in _copy_sources(text):
        target = lookup(ref, base_map)
        if target is None:
            continue
        used[ref] = target
        new = f"--{flag.name}={target}" if flag.name.lower() == "from" else with_field(flag.raw, FROM_KEYS, ref, target)
        edits.append(Edit(flag.span.start, flag.span.end, new))
    return apply_edits(text, edits)[0]


def apply_base_map(text: str, base_map: dict[str, str],
                   build_args: Mapping[str, str] | None = None) -> tuple[str, dict[str, str]]:
    """Rewrite FROM images found in the map, and images copied from (``copied_images``); returns the new
    text and what was replaced.

    ``FROM python:${PY}-slim`` is looked up as the image it expands to (``python:3.12-slim``), and
    that expanded name is the key of the returned map.
    """
    resolved = _resolved_froms(text, build_args) if base_map else {}
    stages: set[str] = set()
    used: dict[str, str] = {}
    out: list[str] = []
    for number, line in enumerate(text.splitlines(keepends=True), start=1):
        match = _FROM.match(line.rstrip("\r\n"))
        if match is None:
            out.append(line)
            continue
        image = match.group("image")
        alias = _ALIAS.search(match.group("rest"))
        ref = resolved.get(number, image) if resolved else image
        is_stage = ref is None or image.lower() in stages
        target = None if is_stage or ref is None else lookup(ref, base_map)
        if alias:
            stages.add(alias.group("name").lower())
        if target is None or ref is None:
            out.append(line)
            continue
        used[ref] = target
        ending = line[len(line.rstrip("\r\n")):]
        out.append(f"{match.group('head')}{target}{match.group('rest')}{ending}")
    return (_map_copy_sources("".join(out), base_map, used) if base_map else "".join(out)), used
