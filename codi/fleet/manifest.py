"""The scan manifest: one repository per line (a local path or a git URL; ``#`` starts a comment, at the
start of a line or after a space), or a JSON list of ``{name, path|url, ref, dockerfiles?}``; and
`--shard i/N`.

A repository is identified by its normalised source (``RepoSpec.key``: the absolute, normalised path, or
the URL without a trailing ``/`` or ``.git`` and with a lower-case scheme and host; plus ``@ref``), never
by its name: ``teamA/app`` and ``teamB/app`` are two repositories, named apart by :func:`plan`, and an
entry listed twice is scanned once (with a note).
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

_SCP_URL = re.compile(r"^[\w.-]+@[\w.-]+:")  # git@host:org/repo.git
_INLINE_COMMENT = re.compile(r"\s+#.*$")  # `path  # a note`; a '#' inside a path or URL stays


class ManifestError(Exception):
    """A manifest that cannot be read: exit 2 with this message."""


@dataclass(frozen=True, slots=True)
class RepoSpec:
    name: str
    path: str | None = None  # a local folder (absolute, or relative to the manifest's folder)
    url: str | None = None  # a git URL, cloned shallow
    ref: str | None = None  # a branch or tag (with a URL)
    dockerfiles: tuple[str, ...] | None = None  # paths inside the repository; None: find them
    where: str = ""  # the manifest entry (file:line or file[n]), for notes

    @property
    def source(self) -> str:
        return self.url or self.path or ""

    @property
    def key(self) -> str:
        """What identifies the repository in a scan: the normalised source, and the ref."""
        return normalise_source(self.source, self.url is not None) + (f"@{self.ref}" if self.ref else "")


def is_url(text: str) -> bool:
    return "://" in text or bool(_SCP_URL.match(text))


def normalise_source(source: str, url: bool) -> str:
    if not url:
        return os.path.normpath(source)
    text = source.rstrip("/").removesuffix(".git").rstrip("/")
    scheme, sep, rest = text.partition("://")
    if sep:
        host, slash, path = rest.partition("/")
        return f"{scheme.lower()}://{host.lower()}{slash}{path}"
    return text


def default_name(source: str) -> str:
    """The last path component of a path or URL, without ``.git``."""
    tail = re.split(r"[/:\\]", source.rstrip("/\\"))[-1]
    return tail.removesuffix(".git") or source


def read_manifest(path: str | Path) -> list[RepoSpec]:
    manifest = Path(path)
    try:
        text = manifest.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ManifestError(f"{path}: cannot read the manifest: {exc}") from None
    return parse_manifest(text, manifest.resolve().parent, str(path))


def parse_manifest(text: str, base: Path, where: str = "manifest") -> list[RepoSpec]:
    if text.lstrip().startswith("["):
        try:
            items = json.loads(text)
        except ValueError as exc:
            raise ManifestError(f"{where}: not valid JSON: {exc}") from None
        if not isinstance(items, list):
            raise ManifestError(f"{where}: expected a JSON list of repositories")
        return [_from_json(item, base, f"{where}[{n}]") for n, item in enumerate(items)]
    specs = []
    for number, line in enumerate(text.splitlines(), start=1):
        entry = _INLINE_COMMENT.sub("", line).strip()
        if entry and not entry.startswith("#"):
            specs.append(_spec(default_name(entry), entry, None, None, base, where=f"{where}:{number}"))
    return specs


def _from_json(item: Any, base: Path, where: str) -> RepoSpec:
    if not isinstance(item, dict):
        raise ManifestError(f"{where}: expected an object with name and path or url")
    source = item.get("url") or item.get("path")
    if not isinstance(source, str) or not source:
        raise ManifestError(f"{where}: needs a path or a url")
    files = item.get("dockerfiles")
    if files is not None and not (isinstance(files, list) and all(isinstance(f, str) for f in files)):
        raise ManifestError(f"{where}: dockerfiles must be a list of paths")
    ref = item.get("ref")
    name = item.get("name") or default_name(source)
    return _spec(str(name), source, str(ref) if ref else None, tuple(files) if files is not None else None, base,
                 url="url" in item, where=where)


def _spec(name: str, source: str, ref: str | None, files: tuple[str, ...] | None, base: Path,
          url: bool | None = None, where: str = "") -> RepoSpec:
    if url if url is not None else is_url(source):
        return RepoSpec(name, url=source, ref=ref, dockerfiles=files, where=where)
    path = Path(source).expanduser()
    return RepoSpec(name, path=os.path.normpath(path if path.is_absolute() else base / path), ref=ref,
                    dockerfiles=files, where=where)


def plan(specs: list[RepoSpec]) -> tuple[list[RepoSpec], list[str]]:
    """Each repository once (the first entry wins; a note for each repeat), each with a name of its own."""
    first: dict[str, RepoSpec] = {}
    notes: list[str] = []
    for spec in specs:
        seen = first.setdefault(spec.key, spec)
        if seen is not spec:
            notes.append(f"{spec.where or spec.source}: the same repository as {seen.where or seen.source} "
                         f"({spec.key}): scanned once")
    return unique_names(list(first.values())), notes


def _tail(spec: RepoSpec, depth: int) -> str:
    text = spec.source.split("://", 1)[-1].rstrip("/\\").removesuffix(".git")
    parts = [p for p in re.split(r"[/:\\]", text) if p]
    return "/".join(parts[-depth:]) or spec.source


def _candidate(spec: RepoSpec, depth: int) -> str:
    tail = _tail(spec, depth)
    name = tail if spec.name == default_name(spec.source) else f"{spec.name} ({tail})"
    return name + (f"@{spec.ref}" if spec.ref else "")


def unique_names(specs: list[RepoSpec]) -> list[RepoSpec]:
    """Names that clash get enough of their path or URL to tell them apart (``teamA/app``, ``teamB/app``)."""
    groups: dict[str, list[RepoSpec]] = {}
    for spec in specs:
        groups.setdefault(spec.name, []).append(spec)
    taken = {name for name, group in groups.items() if len(group) == 1}
    chosen: dict[int, str] = {}
    for group in groups.values():
        if len(group) == 1:
            continue
        for depth in range(2, 2 + max(len(re.split(r"[/:\\]", s.source)) for s in group)):
            names = [_candidate(s, depth) for s in group]
            if len(set(names)) == len(names) and not taken.intersection(names):
                break
        for spec, candidate in zip(group, names, strict=True):
            n, unique = 2, candidate
            while unique in taken:  # still the same (one source twice, another name): number it
                unique, n = f"{candidate}-{n}", n + 1
            taken.add(unique)
            chosen[id(spec)] = unique
    return [replace(s, name=chosen[id(s)]) if id(s) in chosen else s for s in specs]


def parse_shard(text: str) -> tuple[int, int]:
    """``i/N`` (i from 0, as a Kubernetes Indexed Job's JOB_COMPLETION_INDEX) -> (i, N)."""
    match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", text)
    if not match or not 0 <= int(match[1]) < int(match[2]):
        raise ManifestError(f"--shard {text!r}: expected i/N with 0 <= i < N")
    return int(match[1]), int(match[2])


def shard(specs: list[RepoSpec], index: int, count: int) -> list[RepoSpec]:
    """Every ``count``-th repository from the ``index``-th: shards cover the manifest once."""
    return specs[index::count]
