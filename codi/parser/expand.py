"""BuildKit word expansion: $v ${v} ${v:-x} ${v:+x} ${v-x} ${v+x} and escaped \\$.

CONTRACT (signatures fixed):
"""

from __future__ import annotations

from collections.abc import Mapping


class UnresolvedVariable(Exception):
    """A variable used without a value (strict expansion only)."""


def expand(word: str, env: Mapping[str, str | None], escape: str = "\\") -> str:
    """Expand variables in ``word`` as BuildKit's shell lexer does (unset -> empty)."""
    raise NotImplementedError


def expand_strict(word: str, env: Mapping[str, str | None], escape: str = "\\") -> str:
    """Like ``expand`` but raise UnresolvedVariable when a used variable is unset or None
    (and no default applies)."""
    raise NotImplementedError


def variables_used(word: str, escape: str = "\\") -> list[str]:
    """Names of the variables ``word`` refers to, in order."""
    raise NotImplementedError
