"""Apply text edits to a Dockerfile: non-overlapping replacements on exact spans."""

from __future__ import annotations

from collections.abc import Iterable

from codi.rules.base import Edit


def apply_edits(text: str, edits: Iterable[Edit]) -> tuple[str, list[Edit]]:
    """Apply ``edits`` to ``text``; return the new text and the edits left out.

    Edits are taken in order of position; one that overlaps an edit already taken
    (or inserts at the same point) is left out, so that a second round can redo it
    on the new text. Untouched text is never re-printed: it is copied as it was.
    """
    ordered = sorted(edits, key=lambda e: (e.start, e.end))
    taken: list[Edit] = []
    skipped: list[Edit] = []
    for edit in ordered:
        if not 0 <= edit.start <= edit.end <= len(text):
            skipped.append(edit)
            continue
        if taken and (edit.start < taken[-1].end or edit.start == taken[-1].start):
            skipped.append(edit)
            continue
        taken.append(edit)
    parts: list[str] = []
    pos = 0
    for edit in taken:
        parts.append(text[pos : edit.start])
        parts.append(edit.replacement)
        pos = edit.end
    parts.append(text[pos:])
    return "".join(parts), skipped


def group_fits(text: str, edits: list[Edit]) -> bool:
    """True when all ``edits`` of one fix can be applied together to ``text``."""
    _, skipped = apply_edits(text, edits)
    return not skipped
