"""The scan manifest: one repository per line (a local path or a git URL), or a JSON list of
``{name, path|url, ref, dockerfiles?}``; and `--shard i/N`."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_SCP_URL = re.compile(r"^[\w.-]+@[\w.-]+:")  # git@host:org/repo.git


class ManifestError(Exception):
    """A manifest that cannot be read: exit 2 with this message."""


@dataclass(frozen=True, slots=True)
class RepoSpec:
    name: str
    path: str | None = None  # a local folder (absolute, or relative to the manifest's folder)
    url: str | None = None  # a git URL, cloned shallow
    ref: str | None = None  # a branch or tag (with a URL)
    dockerfiles: tuple[str, ...] | None = None  # paths inside the repository; None: find them

    @property
    def source(self) -> str:
        return self.url or self.path or ""


def is_url(text: str) -> bool:
    return "://" in text or bool(_SCP_URL.match(text))


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
        return [_from_json(item, base, f"{where}[{n}]") for n, item in enumerate(items)]
    specs = []
    for line in text.splitlines():
        entry = line.strip()
        if entry and not entry.startswith("#"):
            specs.append(_spec(default_name(entry), entry, None, None, base))
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
                 url="url" in item)


def _spec(name: str, source: str, ref: str | None, files: tuple[str, ...] | None, base: Path,
          url: bool | None = None) -> RepoSpec:
    if url if url is not None else is_url(source):
        return RepoSpec(name, url=source, ref=ref, dockerfiles=files)
    path = Path(source).expanduser()
    return RepoSpec(name, path=str(path if path.is_absolute() else base / path), ref=ref, dockerfiles=files)


def parse_shard(text: str) -> tuple[int, int]:
    """``i/N`` (i from 0, as a Kubernetes Indexed Job's JOB_COMPLETION_INDEX) -> (i, N)."""
    match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", text)
    if not match or not 0 <= int(match[1]) < int(match[2]):
        raise ManifestError(f"--shard {text!r}: expected i/N with 0 <= i < N")
    return int(match[1]), int(match[2])


def shard(specs: list[RepoSpec], index: int, count: int) -> list[RepoSpec]:
    """Every ``count``-th repository from the ``index``-th: shards cover the manifest once."""
    return specs[index::count]
