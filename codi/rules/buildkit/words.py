"""Small helpers shared by the BuildKit checks: word positions, spans, flags, variable references."""

from __future__ import annotations

import bisect
import re
from functools import lru_cache

from codi.parser.builtins import BUILTIN_ARGS as BUILTIN_ARGS
from codi.parser.expand import variables_used
from codi.parser.model import Dockerfile, Instruction, Span

# Proxy build args are passed through without an ARG instruction.
PROXY_ARGS = frozenset(
    {
        "HTTP_PROXY",
        "http_proxy",
        "HTTPS_PROXY",
        "https_proxy",
        "FTP_PROXY",
        "ftp_proxy",
        "NO_PROXY",
        "no_proxy",
        "ALL_PROXY",
        "all_proxy",
    }
)


@lru_cache(maxsize=16)
def _line_starts(text: str) -> list[int]:
    starts = [0]
    for i, ch in enumerate(text):
        if ch == "\n":
            starts.append(i + 1)
    return starts


def span_at(df: Dockerfile, start: int, end: int) -> Span:
    """A Span for ``df.text[start:end]`` (1-based lines/columns, end column exclusive)."""
    starts = _line_starts(df.text)
    sl = bisect.bisect_right(starts, start) - 1
    el = bisect.bisect_right(starts, max(start, end)) - 1
    return Span(start, end, sl + 1, start - starts[sl] + 1, el + 1, end - starts[el] + 1)


def rest_words(instr: Instruction) -> list[tuple[str, int, int]]:
    """Whitespace-separated words of ``instr.rest`` with their offsets in the file."""
    out: list[tuple[str, int, int]] = []
    offsets = instr.rest_offsets
    for m in re.finditer(r"\S+", instr.rest):
        if m.end() - 1 >= len(offsets):
            break
        out.append((m.group(), offsets[m.start()], offsets[m.end() - 1] + 1))
    return out


def flag_value(instr: Instruction, name: str) -> str | None:
    """Value of ``--name=value`` (the last one wins), whether Flag.name keeps the dashes or not."""
    found: str | None = None
    for f in instr.flags:
        if f.name.lstrip("-").lower() == name:
            found = f.value if f.value is not None else ""
    return found


def plain_refs(word: str, escape: str = "\\") -> list[str]:
    """Variables ``word`` uses without a fallback: ``$v`` and ``${v}`` count, ``${v:-x}``,
    ``${v-x}``, ``${v:+x}`` and ``${v+x}`` do not (the author handled the unset case)."""
    names = variables_used(word, escape)
    out: list[str] = []
    for name in names:
        if name in out:
            continue
        bare = re.search(r"\$" + re.escape(name) + r"(?![A-Za-z0-9_])", word)
        braced = re.search(r"\$\{" + re.escape(name) + r"(\}|:\?|\?)", word)
        if bare or braced:
            out.append(name)
    return out


def _distance(a: str, b: str) -> int:
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def suggest(value: str, options: list[str]) -> str:
    """BuildKit's typo suggestion: the closest option at edit distance < 3, or ``""``."""
    best = ""
    best_dist = 3
    for opt in sorted(set(options)):
        if opt == value:
            return ""
        if abs(len(opt) - len(value)) >= best_dist:  # the distance is at least that: skip the table
            continue
        dist = _distance(value, opt)
        if dist < best_dist:
            best, best_dist = opt, dist
    return best
