"""The inputs of a data build: corpus Dockerfiles (with MANIFEST.tsv) and project folders.

A corpus file's group is its near-duplicate cluster when the manifest has one (so near-copies never
land in different splits), else the file itself; a project is its own group.
"""

from __future__ import annotations

import csv
import random
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

BUNDLED_CORPUS = Path(__file__).resolve().parents[2] / "tests" / "training" / "fixtures" / "corpus"


@dataclass(slots=True)
class Source:
    id: str  # "corpus/<file>" or "projects/<name>": the pair's `source`
    path: Path  # a Dockerfile or a project folder
    group: str  # what the split keeps together
    licence: str
    is_project: bool = False


def _manifest(folder: Path) -> dict[str, dict[str, str]]:
    path = folder / "MANIFEST.tsv"
    if not path.is_file():
        return {}
    with path.open(encoding="utf-8", newline="") as handle:
        rows = csv.DictReader(handle, delimiter="\t")
        key = "file" if rows.fieldnames and "file" in rows.fieldnames else "project"
        return {row[key]: row for row in rows if row.get(key)}


def corpus_folder(path: Path) -> Path:
    """The folder holding the Dockerfiles: ``path`` itself, or its ``dockerfiles/`` (the shared layout)."""
    nested = path / "dockerfiles"
    return nested if not (path / "MANIFEST.tsv").is_file() and nested.is_dir() else path


def corpus_sources(path: Path) -> list[Source]:
    folder = corpus_folder(path)
    rows = _manifest(folder)
    out = []
    for file in sorted(p for p in folder.rglob("*") if p.is_file() and p.name != "MANIFEST.tsv"
                       and not p.name.startswith(".") and p.suffix not in {".md", ".txt", ".tsv"}):
        rel = file.relative_to(folder).as_posix()
        row = rows.get(rel) or rows.get(file.name) or {}
        cluster = row.get("near_dup_cluster") or ""
        out.append(Source(id=f"corpus/{rel}", path=file, group=f"cluster:{cluster}" if cluster else f"corpus/{rel}",
                          licence=row.get("licence") or "unknown"))
    return out


def _provenance_licence(project: Path) -> str:
    prov = project / "PROVENANCE.txt"
    if prov.is_file():
        for line in prov.read_text(encoding="utf-8", errors="replace").splitlines():
            key, _, value = line.partition(":")
            if key.strip() == "licence" and value.strip():
                return value.strip()
    return "unknown"


def project_sources(path: Path) -> list[Source]:
    rows = _manifest(path)
    out = []
    for folder in sorted(p for p in path.iterdir() if p.is_dir() and (p / "Dockerfile").is_file()):
        licence = (rows.get(folder.name) or {}).get("licence") or _provenance_licence(folder)
        out.append(Source(id=f"projects/{folder.name}", path=folder, group=f"projects/{folder.name}",
                          licence=licence, is_project=True))
    return out


def sample(sources: list[Source], limit: int | None, seed: int) -> list[Source]:
    """A seeded sample of ``limit`` sources spread over the whole list (all of them without a limit)."""
    if limit is None or limit >= len(sources):
        return sources
    picked = set(random.Random(seed).sample(range(len(sources)), limit))
    return [s for i, s in enumerate(sources) if i in picked]


@contextmanager
def as_project(source: Source) -> Iterator[Path]:
    """A project folder for the source: the project itself, or a temp folder holding the lone Dockerfile."""
    if source.is_project:
        yield source.path
        return
    with tempfile.TemporaryDirectory(prefix="codi-data-") as tmp:
        project = Path(tmp) / "project"
        project.mkdir()
        shutil.copyfile(source.path, project / "Dockerfile")
        yield project
