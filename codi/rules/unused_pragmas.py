"""CD0002's findings: the ignore pragma codes of one file that silenced nothing."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

from codi.rules.base import BatchRule, Finding, Rule, Severity
from codi.rules.suppress import Suppressions

if TYPE_CHECKING:
    from codi.rules.engine import FileInput

UNUSED_CODE = "CD0002"
UNUSED_NAME = "unused-suppression"


def _rule_of(key: str, rules: Sequence[type[Rule]]) -> type[Rule] | None:
    for cls in rules:
        if cls.code == key or cls.name.upper() == key:
            return cls
        if issubclass(cls, BatchRule) and key.startswith(cls.code) and key[len(cls.code):].isdigit():
            return cls
    return None


def unused_findings(pragmas: Suppressions, item: FileInput, rules: Sequence[type[Rule]]) -> Iterator[Finding]:
    lines = item.text.splitlines()
    selection = item.settings.selection
    for pragma in pragmas.unused():
        cls = _rule_of(pragma.code, rules)
        if cls is None:
            message = f"`{pragma.code}` in an ignore pragma is no rule code or name CODI knows"
        else:
            code = pragma.code if issubclass(cls, BatchRule) else cls.code
            if not selection.selects(code):
                continue  # not checked in this run: it could not have silenced anything
            where = "in this file" if pragma.first == 0 else "on the instruction below"
            message = f"the ignore pragma for {pragma.code} silences nothing: no {pragma.code} finding {where}"
        text = lines[pragma.line - 1] if 0 < pragma.line <= len(lines) else ""
        at = text.upper().find(pragma.code)
        column = at + 1 if at >= 0 else 1
        yield Finding(UNUSED_CODE, UNUSED_NAME, Severity.INFO, message, item.path, pragma.line, column,
                      pragma.line, column + (len(pragma.code) if at >= 0 else len(text)))
