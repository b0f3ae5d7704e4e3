"""How many external FROM bases of the shared corpus the image database knows (>= 90%).

Run with ``pytest tests/imagedb/test_coverage.py -s`` to see the figure and the top unknown images.
Stage references, ``scratch`` and bases that stay an unresolvable ``${ARG}`` are not counted;
``FROM ${X}`` is expanded with the ARG default declared before the first FROM.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from codi.imagedb import lookup, normalize_ref
from codi.parser import parse
from codi.parser.semantic import build_model

SHARED = Path(__file__).parents[2].parent / "shared"
CORPUS = SHARED / "corpus" / "dockerfiles"
PROJECTS = SHARED / "projects"


def external_bases(paths: list[Path]) -> list[str]:
    bases: list[str] = []
    for path in paths:
        try:
            model = build_model(parse(path.read_text(encoding="utf-8", errors="replace")))
        except Exception:  # a corpus file the parser rejects says nothing about bases
            continue
        for stage in model.stages:
            ref = stage.base_resolved
            if stage.base_stage is not None or not ref or "$" in ref or ref.lower() == "scratch":
                continue
            bases.append(ref)
    return bases


def coverage(bases: list[str]) -> tuple[float, Counter[str]]:
    unknown = Counter(normalize_ref(b)[0] for b in bases if lookup(b) is None)
    known = len(bases) - sum(unknown.values())
    return (known / len(bases) if bases else 1.0), unknown


@pytest.mark.skipif(not CORPUS.is_dir(), reason=f"shared corpus not found at {CORPUS}")
def test_corpus_coverage_at_least_90_percent() -> None:
    bases = external_bases(sorted(CORPUS.iterdir()))
    share, unknown = coverage(bases)
    print(f"\nimagedb coverage: {share:.1%} of {len(bases)} external FROM bases")
    for name, count in unknown.most_common(25):
        print(f"  unknown {count:3d}  {name}")
    assert share >= 0.90


@pytest.mark.skipif(not PROJECTS.is_dir(), reason=f"shared projects not found at {PROJECTS}")
def test_project_bases_known() -> None:
    bases = external_bases(sorted(PROJECTS.glob("*/Dockerfile")))
    share, unknown = coverage(bases)
    print(f"\nimagedb coverage of projects: {share:.1%} of {len(bases)}; unknown: {dict(unknown)}")
    assert share >= 0.90
