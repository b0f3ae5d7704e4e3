"""Where the shared test data lives (import as `from codi_testdata import CORPUS, corpus_files`).

A module of its own, not conftest.py: several conftest modules exist and `import conftest` would
pick whichever was loaded first.
"""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus" / "dockerfiles"


def corpus_files() -> list[Path]:
    """The shared corpus of real Dockerfiles, or [] when ../shared is absent."""
    if not CORPUS.is_dir():
        return []
    return sorted(CORPUS.glob("*.Dockerfile"))
