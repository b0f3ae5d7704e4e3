"""Build contexts: a temporary copy of the project that honours its ``.dockerignore``."""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

from codi.rules.buildkit.dockerignore import load_dockerignore

# Suffixes of files a "source edit" may touch, most typical first.
_SOURCE_SUFFIXES = (".go", ".py", ".js", ".ts", ".java", ".rb", ".rs", ".php", ".c", ".cpp")


def copy_context(project: Path, dest: Path) -> list[str]:
    """Copy what the engine would see into ``dest``; returns the copied relative paths."""
    ignore = load_dockerignore(project)
    copied: list[str] = []
    for root, dirs, files in os.walk(project):
        rel_root = Path(root).relative_to(project)
        kept = []
        for d in sorted(dirs):
            rel = (rel_root / d).as_posix()
            # A re-include pattern may reach inside an excluded folder, so only prune without "!".
            if ignore is not None and not ignore.has_exclusions and ignore.excluded(rel):
                continue
            kept.append(d)
        dirs[:] = kept
        for name in sorted(files):
            rel = (rel_root / name).as_posix()
            if ignore is not None and ignore.excluded(rel) and rel not in {".dockerignore", "Dockerfile"}:
                continue
            target = dest / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(Path(root) / name, target, follow_symlinks=False)
            copied.append(rel)
    return copied


def source_to_touch(copied: list[str]) -> str | None:
    """The file a developer would most likely edit next: the first source file by suffix preference."""
    for suffix in _SOURCE_SUFFIXES:
        hits = sorted((p for p in copied if p.endswith(suffix)), key=lambda p: (p.count("/"), p))
        if hits:
            return hits[0]
    others = [p for p in copied if not p.endswith("Dockerfile") and not p.startswith(".")]
    return sorted(others)[0] if others else None


_LINE_COMMENT = {".go": "//", ".js": "//", ".ts": "//", ".java": "//", ".rs": "//", ".php": "//", ".c": "//",
                 ".cpp": "//", ".py": "#", ".rb": "#"}


def touch_source(context: Path, rel: str) -> None:
    """A real content edit (not just mtime: engines hash file content for their cache), different every
    time: the layer cache is shared by every build on the machine, and an edit that some earlier build
    already made (another run's, or this run's last one) would hit it instead of measuring a rebuild."""
    path = context / rel
    token = uuid.uuid4().hex
    comment = _LINE_COMMENT.get(path.suffix)
    if comment:
        edit = f"\n{comment} codi rebuild probe {token}\n"
    else:  # unknown syntax: trailing blank lines, some with a space, spell the token
        edit = "\n" + "".join(" \n" if bit == "1" else "\n" for bit in f"{int(token[:8], 16):032b}")
    with path.open("ab") as fh:
        fh.write(edit.encode())
