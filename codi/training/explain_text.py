"""Explanation targets written from CODI's deterministic facts, in varied but checkable sentences.

Each sentence states facts the explain prompt shows the model (``codi.llm.prompts.candidate_facts``):
the size with the saving, the layers, the findings fixed by name and line, the risk, the runtime
base image and the instructions the diff touches. Several phrasings per fact are chosen by a seeded
RNG, so the model learns the facts, not one sentence. Nothing here is shown to the model at runtime;
``codi.training.pairs`` keeps a target only when the guard accepts every sentence of it.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable

from codi.artifacts.models import CandidateNumbers, CandidateRecord, FindingRecord, ImageNumbers
from codi.llm.prompts import mb

_INSTRUCTION = re.compile(r"^[+-]\s*([A-Z]+)\b")


def _size(c: CandidateRecord, n: CandidateNumbers | None, o: ImageNumbers) -> list[str]:
    if n is None or n.size_bytes is None or o.size_bytes is None:
        return []
    before, after, kind = mb(o.size_bytes), mb(n.size_bytes), n.kind
    if before == after:
        return [f"The {kind} image size stays at {after}.", f"The image keeps its {kind} size of {after}."]
    pct = f"{abs(n.size_delta_pct):.1f}%" if n.size_delta_pct is not None else None
    if n.size_bytes < o.size_bytes:
        saved = mb(o.size_bytes - n.size_bytes)
        out = [f"The {kind} image shrinks from {before} to {after}, {saved} smaller.",
               f"It cuts the {kind} image size from {before} to {after}.",
               f"The image becomes {saved} smaller ({before} to {after}, {kind})."]
        if pct:
            out += [f"The {kind} image size drops by {pct}, from {before} to {after}.",
                    f"It saves {saved} of image size, {pct} less than the original."]
        return out
    out = [f"The {kind} image grows from {before} to {after}.",
           f"The image size increases from {before} to {after} ({kind})."]
    if pct:
        out.append(f"The {kind} image is {pct} larger, {after} instead of {before}.")
    return out


def _layers(n: CandidateNumbers | None, o: ImageNumbers) -> list[str]:
    if n is None or n.layers is None or o.layers is None or n.layers == o.layers:
        return []
    if n.layers < o.layers:
        return [f"It has fewer layers: {n.layers} instead of {o.layers}.",
                f"The layer count goes down from {o.layers} to {n.layers}."]
    return [f"It has more layers: {n.layers} instead of {o.layers}.",
            f"The layer count goes up from {o.layers} to {n.layers}."]


def _named(ref: str, by_ref: dict[str, FindingRecord]) -> tuple[str, str]:
    code, _, line = ref.partition("@")
    found = by_ref.get(ref)
    return (found.name if found is not None else code), line


def _fixes(c: CandidateRecord, findings: list[FindingRecord]) -> list[str]:
    if not c.resolves:
        return []
    by_ref = {f"{f.code}@{f.line}": f for f in findings}
    count = len(c.resolves)
    name, line = _named(c.resolves[0], by_ref)
    where = f" on line {line}" if line else ""
    word = "finding" if count == 1 else "findings"
    out = [f"It fixes {count} {word} of the original, including {name}{where}.",
           f"It resolves {name}{where}" + (f" and {count - 1} other {'finding' if count == 2 else 'findings'}."
                                          if count > 1 else ".")]
    if count > 1:
        out.append(f"{count} findings of the original go away, {name}{where} among them.")
    elif line:
        out.append(f"The {name} finding on line {line} goes away.")
    return out


def _risk(c: CandidateRecord, with_fixes: bool) -> list[str]:
    """The risk needs an anchor to be checkable: the runtime base image or the fixes count."""
    out = []
    if c.runtime_base:
        out += [f"It runs on {c.runtime_base}, and the risk is {c.risk}.",
                f"This is a {c.risk}-risk change that runs on {c.runtime_base}."]
    if c.resolves and with_fixes:
        out.append(f"The risk is {c.risk}, with {len(c.resolves)} "
                   f"{'finding' if len(c.resolves) == 1 else 'findings'} fixed.")
    return out


def _diff(c: CandidateRecord, excerpt: str) -> list[str]:
    words = list(dict.fromkeys(m.group(1) for line in excerpt.splitlines() if (m := _INSTRUCTION.match(line))))
    words = [w for w in words if w.isupper() and len(w) > 1][:2]
    if not words:
        return []
    named = " and ".join(words)
    noun = "line" if len(words) == 1 else "lines"
    return [f"The diff starts by changing the {named} {noun}.", f"The first edits touch the {named} {noun}."]


def explanations(c: CandidateRecord, n: CandidateNumbers | None, original: ImageNumbers,
                 findings: list[FindingRecord], diff_excerpt: str, rng: random.Random,
                 fits: Callable[[str], bool]) -> list[str]:
    """Two-sentence (else one-sentence) explanations, most specific first, in a seeded random phrasing.

    The first sentence says the main gain (size when it changes, else the fixes), the second adds
    another fact; ``fits`` bounds the length (the runtime stops the model after a few dozen tokens).
    """
    size, fixes = _size(c, n, original), _fixes(c, findings)
    changed = n is not None and n.size_bytes is not None and original.size_bytes is not None \
        and n.size_bytes != original.size_bytes
    first = size if changed else (fixes or size)
    topics = [t for t in (fixes, _layers(n, original), _risk(c, with_fixes=first is not fixes), size)
              if t and t is not first]
    diff = _diff(c, diff_excerpt)  # the weakest reason: only when nothing else fits
    out: list[str] = []
    for lead in rng.sample(first, len(first)):
        for topic in [*rng.sample(topics, len(topics)), diff]:
            for second in rng.sample(topic, len(topic)):
                text = f"{lead} {second}"
                if fits(text):
                    out.append(text)
    out += [lead for lead in first if fits(lead)]
    return out
