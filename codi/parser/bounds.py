"""Limits on variable expansion: a word's depth and size, and one budget for a whole file.

BuildKit expands ``${a:-${b:-...}}`` and ``ARG B=$A$A$A...`` without a limit of its own (its Go
stack and memory are its limits). Here a hostile 3 KB file must not take gigabytes or a
RecursionError, so:

- one expanded word is at most ``MAX_RESULT`` characters (BuildKit's own line size) and nests
  ``${...}`` inside a default at most ``MAX_DEPTH`` levels;
- all the expansion of one file (the model's ARG/ENV values and what the rules expand) costs at
  most ``file_budget(len(text))`` units (a character written, or a step of a pattern match).

Past a limit the expander raises ExpansionLimit, an UnresolvedVariable: a value that hit a limit is
*unknown*, as if it named a variable without a value, and the linter reports the line (CD0003).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

MAX_DEPTH = 32  # ${...} inside ${...:-here}; real files nest two or three
MAX_RESULT = 65_535  # characters of one expanded word: a line BuildKit's parser accepts
BUDGET_BASE = 4 * 1024 * 1024
BUDGET_PER_CHAR = 4


class UnresolvedVariable(Exception):
    """A variable used without a value (strict expansion only)."""


class ExpansionLimit(UnresolvedVariable):
    """Expanding this word would pass a limit; ``str()`` says which, in words."""


class Budget:
    """Work units left for one file's expansion; once spent, every expansion stops at once."""

    def __init__(self, units: int) -> None:
        self.units = units
        self.left = units
        self.exhausted = False

    def charge(self, units: int) -> None:
        self.left -= units
        if self.left < 0:
            self.exhausted = True
        if self.exhausted:
            raise ExpansionLimit(f"variable expansion used up this file's budget ({self.units:,} characters)")

    def spent_elsewhere(self, units: int) -> None:
        """Units this file's expansion already cost outside this budget (a model built before the lint)."""
        self.left -= units
        if self.left < 0:
            self.exhausted = True


def file_budget(text_length: int) -> int:
    """Enough for any real file (its values re-expanded by every rule), linear in its size."""
    return BUDGET_BASE + BUDGET_PER_CHAR * text_length


_current: ContextVar[Budget | None] = ContextVar("codi_expansion_budget", default=None)


def current_budget() -> Budget | None:
    return _current.get()


@contextmanager
def expansion_budget(text_length: int) -> Iterator[Budget]:
    """The budget every expansion in this block charges; an enclosing one is kept (one file, one budget)."""
    active = _current.get()
    if active is not None:
        yield active
        return
    budget = Budget(file_budget(text_length))
    token = _current.set(budget)
    try:
        yield budget
    finally:
        _current.reset(token)


HUGE_INT = 10**18  # stands for any decimal with more digits: every threshold a rule compares with is smaller


def decimal(digits: str) -> int:
    """The value of an ASCII digit string, ``HUGE_INT`` for one longer than 18 significant digits.

    ``int()`` refuses strings of over 4,300 digits (and is quadratic before that): an expanded port or
    uid can be that long in a hostile file, which must give a finding, not an internal error.
    """
    significant = digits.lstrip("0")
    return HUGE_INT if len(significant) > 18 else int(significant or "0")
