"""Reading the key/value pairs of ENV, LABEL and ARG instructions (shared by the DL rules)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from codi.parser.expand import UnresolvedVariable, expand_strict
from codi.parser.model import Instruction


@dataclass(frozen=True, slots=True)
class Pair:
    key_raw: str  # as BuildKit's parser gives it (quotes kept)
    value_raw: str  # idem; "" for an ARG without default
    has_value: bool  # False for ``ARG NAME``


def env_label_pairs(instr: Instruction) -> list[Pair]:
    """ENV/LABEL pairs: BuildKit gives ``[key, value, sep]`` triples (sep ``=`` or ``""`` for
    the legacy ``KEY value`` form)."""
    args = instr.args
    return [Pair(args[i], args[i + 1], True) for i in range(0, len(args) - 2, 3)]


def arg_pairs(instr: Instruction) -> list[Pair]:
    """ARG declarations: each word is ``NAME`` or ``NAME=default``."""
    pairs = []
    for word in instr.args:
        name, eq, value = word.partition("=")
        pairs.append(Pair(name, value, bool(eq)))
    return pairs


def resolve(word: str, env: Mapping[str, str | None], escape: str = "\\") -> str | None:
    """A word as the build sees it (quotes removed, variables substituted), or None when it
    uses a variable with no known value."""
    try:
        return expand_strict(word, env, escape)
    except UnresolvedVariable:
        return None
