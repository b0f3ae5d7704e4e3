"""Small, safe readers for project files (bounded size, never raise on bad content)."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

from codi import safefs

MAX_BYTES = 2 * 1024 * 1024


def read_text(path: Path, root: Path | None = None) -> str | None:
    """The text of a project file, or None when it is missing, too large, not a regular file or a link
    out of ``root`` (default: the file's own folder; give the project for files found deeper)."""
    try:
        return safefs.read_text(path, path.parent if root is None else root, MAX_BYTES, errors="replace")
    except OSError:
        return None


def read_json(path: Path) -> dict[str, Any] | None:
    text = read_text(path)
    if text is None:
        return None
    try:
        data = json.loads(text)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def read_toml(path: Path) -> dict[str, Any] | None:
    text = read_text(path)
    if text is None:
        return None
    try:
        return tomllib.loads(text)
    except (tomllib.TOMLDecodeError, ValueError):
        return None


def line_of(text: str | None, needle: str) -> int | None:
    """1-based line of the first occurrence of ``needle`` in ``text``."""
    if not text:
        return None
    idx = text.find(needle)
    if idx < 0:
        return None
    return text.count("\n", 0, idx) + 1


def rel(project: Path, path: Path) -> str:
    try:
        return path.relative_to(project).as_posix()
    except ValueError:
        return path.as_posix()


def find_first(project: Path, patterns: list[str], max_depth: int = 2) -> list[Path]:
    """Files matching glob ``patterns`` within ``max_depth`` levels, skipping vendor dirs."""
    skip = {".git", "node_modules", ".venv", "venv", "vendor", "target", "build", "dist", "__pycache__"}
    found: list[Path] = []
    stack: list[tuple[Path, int]] = [(project, 0)]
    while stack:
        folder, depth = stack.pop()
        try:
            entries = sorted(folder.iterdir())
        except OSError:
            continue
        for entry in entries:
            if entry.is_dir():
                if depth < max_depth and entry.name not in skip and not entry.name.startswith("."):
                    stack.append((entry, depth + 1))
            elif any(entry.match(p) for p in patterns):
                found.append(entry)
    return sorted(found, key=lambda p: (len(p.relative_to(project).parts), p.as_posix()))
