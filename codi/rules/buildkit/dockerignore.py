"""`.dockerignore` files, read and matched the way Docker's build context does it.

Facts followed (moby/patternmatcher and its ignorefile reader):
- one pattern per line; a line whose first character is ``#`` is a comment; surrounding
  whitespace is trimmed and empty lines are skipped;
- ``!pattern`` re-includes what an earlier pattern excluded; the last matching pattern wins;
- patterns are cleaned like Go's ``filepath.Clean`` and a leading ``/`` is dropped, so
  ``/foo``, ``./foo`` and ``foo`` are the same pattern;
- ``*`` matches any run of characters except ``/``, ``?`` one character except ``/``,
  ``[...]`` a character class, ``\\`` escapes the next character, and ``**`` any number of
  directories (``**/x`` also matches ``x`` at the top);
- a path is excluded when a pattern matches it *or one of its parent directories*
  (``MatchesOrParentMatches``), so ``node_modules`` excludes ``node_modules/a/b.js``.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field
from pathlib import Path

from codi import safefs


def clean_path(path: str) -> str:
    """Go's ``filepath.Clean`` for slash paths, with a leading ``/`` dropped (context-relative)."""
    if not path:
        return "."
    cleaned = posixpath.normpath(path)
    if cleaned.startswith("//"):
        cleaned = "/" + cleaned.lstrip("/")
    if len(cleaned) > 1 and cleaned.startswith("/"):
        cleaned = cleaned.lstrip("/") or "."
    return cleaned


def _compile(pattern: str) -> re.Pattern[str]:
    """Translate one cleaned pattern into an anchored regular expression."""
    out: list[str] = ["^"]
    i = 0
    n = len(pattern)
    while i < n:
        ch = pattern[i]
        if ch == "*":
            if i + 1 < n and pattern[i + 1] == "*":
                i += 2
                if i < n and pattern[i] == "/":
                    # "**/" : zero or more whole directories
                    out.append("(?:.*/)?")
                    i += 1
                else:
                    out.append(".*")
                continue
            out.append("[^/]*")
        elif ch == "?":
            out.append("[^/]")
        elif ch == "\\" and i + 1 < n:
            i += 1
            out.append(re.escape(pattern[i]))
        elif ch == "[":
            end = pattern.find("]", i + 1)
            if end == -1:
                out.append(re.escape(ch))
            else:
                body = pattern[i + 1 : end]
                if body.startswith("^") or body.startswith("!"):
                    body = "^" + body[1:]
                out.append("[" + body.replace("\\", "\\\\") + "]")
                i = end
        else:
            out.append(re.escape(ch))
        i += 1
    out.append("$")
    try:
        return re.compile("".join(out), re.DOTALL)
    except re.error:
        # A malformed class: Docker reports an error; we match it literally instead of crashing.
        return re.compile("^" + re.escape(pattern) + "$")


@dataclass(frozen=True, slots=True)
class IgnorePattern:
    text: str  # cleaned pattern, without the leading "!"
    exclusion: bool  # True for "!pattern" (re-include)
    regex: re.Pattern[str]

    def matches(self, path: str) -> bool:
        return self.regex.match(path) is not None


@dataclass(slots=True)
class DockerIgnore:
    """The patterns of one ``.dockerignore`` file, in order."""

    patterns: list[IgnorePattern] = field(default_factory=list)

    @classmethod
    def parse(cls, text: str) -> DockerIgnore:
        patterns: list[IgnorePattern] = []
        for raw in text.splitlines():
            if raw.startswith("#"):
                continue
            line = raw.strip()
            if not line:
                continue
            exclusion = line.startswith("!")
            if exclusion:
                line = line[1:].strip()
                if not line:
                    continue
            cleaned = clean_path(line)
            patterns.append(IgnorePattern(cleaned, exclusion, _compile(cleaned)))
        return cls(patterns)

    @property
    def has_exclusions(self) -> bool:
        """True when some pattern starts with ``!`` (re-includes files)."""
        return any(p.exclusion for p in self.patterns)

    def excluded(self, path: str) -> bool:
        """Whether ``path`` (relative to the context) is left out of the build context."""
        path = clean_path(path)
        parts = path.split("/")
        parents = ["/".join(parts[: i + 1]) for i in range(len(parts) - 1)]
        matched = False
        for pattern in self.patterns:
            hit = pattern.matches(path) or any(pattern.matches(p) for p in parents)
            if hit:
                matched = not pattern.exclusion
        return matched


def find_dockerignore(context_dir: Path, dockerfile_name: str = "Dockerfile") -> Path | None:
    """The ignore file Docker would use: ``<Dockerfile>.dockerignore`` beside the Dockerfile
    wins over ``.dockerignore`` at the context root."""
    specific = context_dir / f"{Path(dockerfile_name).name}.dockerignore"
    if specific.is_file():
        return specific
    default = context_dir / ".dockerignore"
    return default if default.is_file() else None


def load_dockerignore(context_dir: Path, dockerfile_name: str = "Dockerfile") -> DockerIgnore | None:
    """Read the context's ignore file; None when there is none or it cannot be read."""
    found = find_dockerignore(context_dir, dockerfile_name)
    if found is None:
        return None
    try:  # a found file: inside the context, regular, bounded (codi.safefs)
        return DockerIgnore.parse(safefs.read_text(found, context_dir))
    except (OSError, ValueError):
        return None
