"""The rule registry: rule modules register their classes with ``@register``."""

from __future__ import annotations

import importlib
import pkgutil
from typing import TypeVar

from codi.rules.base import Rule

_RULES: dict[str, type[Rule]] = {}
_FAMILIES = ("codi.rules.dl", "codi.rules.buildkit", "codi.rules.cd", "codi.rules.shellcheck")
_loaded = False

R = TypeVar("R", bound=type[Rule])


def register(cls: R) -> R:
    """Class decorator: add a rule to the registry (codes are unique forever)."""
    if cls.code in _RULES and _RULES[cls.code] is not cls:
        raise ValueError(f"duplicate rule code {cls.code}")
    _RULES[cls.code] = cls
    return cls


def _load() -> None:
    global _loaded
    if _loaded:
        return
    _loaded = True
    for family in _FAMILIES:
        try:
            pkg = importlib.import_module(family)
        except ModuleNotFoundError as exc:
            if exc.name != family:
                raise
            continue
        for info in pkgutil.iter_modules(getattr(pkg, "__path__", [])):
            importlib.import_module(f"{family}.{info.name}")


def all_rules() -> list[type[Rule]]:
    """Every registered rule, sorted by code."""
    _load()
    return [_RULES[c] for c in sorted(_RULES)]


def get_rule(code_or_name: str) -> type[Rule] | None:
    _load()
    key = code_or_name.strip()
    if key.upper() in _RULES:
        return _RULES[key.upper()]
    for cls in _RULES.values():
        if cls.name.lower() == key.lower():
            return cls
    return None
