"""ARG/ENV values as each instruction sees them, without a copy of the environment per instruction.

A copy per ``ARG``/``ENV`` made a file of 20,000 ``ENV`` lines take 5 GB (every copy holds every
name so far: quadratic). Here a stage's values form a ``Timeline``: where it started (its parent
stage's final view, or nothing) and, per name, the steps at which it changed. An instruction keeps
an ``EnvView`` (the timeline and a step): a read-only mapping that looks a name up by bisecting its
changes, so each ``ARG``/``ENV`` costs what it sets, and each view costs two words.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterator, Mapping

Value = str | None
FLATTEN_DEPTH = 8  # a chain of FROM <stage> deeper than this starts from a plain copy (lookups stay short)


class Timeline:
    """One stage's (or the global ARGs') values, change by change."""

    def __init__(self, start: Mapping[str, Value] | None = None) -> None:
        depth = start.depth + 1 if isinstance(start, EnvView) else 0
        if isinstance(start, EnvView) and depth > FLATTEN_DEPTH:
            start, depth = dict(start), 0
        self.start: Mapping[str, Value] = start if start is not None else {}
        self.depth = depth
        self.step = 0
        self.changes: dict[str, tuple[list[int], list[Value]]] = {}

    def advance(self) -> None:
        """What is set from now on is not seen by the views taken before."""
        self.step += 1

    def set(self, name: str, value: Value) -> None:
        steps, values = self.changes.setdefault(name, ([], []))
        steps.append(self.step)
        values.append(value)

    def view(self) -> EnvView:
        return EnvView(self, self.step)


class EnvView(Mapping[str, Value]):
    """The values of a timeline at one step (read-only; ``dict(view)`` for a copy)."""

    __slots__ = ("timeline", "at")

    def __init__(self, timeline: Timeline, at: int) -> None:
        self.timeline = timeline
        self.at = at

    @property
    def depth(self) -> int:
        return self.timeline.depth

    def __getitem__(self, name: str) -> Value:
        found = self.timeline.changes.get(name)
        if found is not None:
            steps, values = found
            i = bisect_right(steps, self.at) - 1
            if i >= 0:
                return values[i]
        return self.timeline.start[name]

    def __contains__(self, name: object) -> bool:
        if not isinstance(name, str):
            return False
        found = self.timeline.changes.get(name)
        if found is not None and found[0][0] <= self.at:
            return True
        return name in self.timeline.start

    def __iter__(self) -> Iterator[str]:
        seen = set(self.timeline.start)
        yield from self.timeline.start
        for name, (steps, _) in self.timeline.changes.items():
            if steps[0] <= self.at and name not in seen:
                yield name

    def __len__(self) -> int:
        return sum(1 for _ in self)
