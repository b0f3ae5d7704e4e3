"""The rule registry: rule modules register their classes with ``@register``."""

from __future__ import annotations

import importlib
import pkgutil
import re
from dataclasses import dataclass
from typing import TypeVar

from codi.rules.base import Finding, Rule

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


# --- one problem, one finding -----------------------------------------------------------------
#
# Some problems are checked by two or three families (hadolint's DL, BuildKit's BK, CODI's CD).
# An equivalence names the codes that report one problem; where several of them fire on one
# line, the engine keeps one finding, under the canonical code (hadolint's DL code where one
# exists, else BuildKit's, else CODI's), and names the others in its message.
# ``only`` narrows a broad rule to the findings that are about this problem (CD101 reports every
# package manager's cache; only its apt findings are DL3009's problem): a regex its message must
# match.

FAMILY_ORDER = ("DL", "BK", "CD")


@dataclass(frozen=True, slots=True)
class Equivalence:
    """Codes that report one problem; ``only`` maps a code to a regex its messages must match."""

    codes: tuple[str, ...]
    problem: str
    only: tuple[tuple[str, str], ...] = ()

    @property
    def canonical(self) -> str:
        return min(self.codes, key=canonical_rank)

    def covers(self, code: str, message: str) -> bool:
        if code not in self.codes:
            return False
        pattern = dict(self.only).get(code)
        return pattern is None or re.search(pattern, message) is not None


def canonical_rank(code: str) -> tuple[int, str]:
    """DL before BK before CD (then by code): the code a merged finding is reported under."""
    family = code[:2].upper()
    return (FAMILY_ORDER.index(family) if family in FAMILY_ORDER else len(FAMILY_ORDER), code)


def _cache(dl: str, manager: str) -> Equivalence:
    return Equivalence((dl, "CD101"), f"{manager} cache left in the layer", (("CD101", rf"leaves the {manager}\b"),))


EQUIVALENCES: tuple[Equivalence, ...] = (
    Equivalence(("DL3025", "BK007"), "shell-form CMD/ENTRYPOINT"),
    Equivalence(("DL4000", "BK008"), "deprecated MAINTAINER"),
    Equivalence(("DL3064", "BK016", "CD304"), "secret-looking ARG/ENV name",
                (("CD304", r"^(ARG|ENV) contains a literal value for "),)),
    _cache("DL3009", "apt"),
    _cache("DL3019", "apk"),
    _cache("DL3032", "yum"),
    _cache("DL3040", "(micro)?dnf"),
    _cache("DL3036", "zypper"),
    _cache("DL3042", "pip"),
    _cache("DL3060", "yarn"),
)


def equivalences_of(code: str, message: str | None = None) -> list[Equivalence]:
    """The equivalences a rule code (or, with ``message``, one finding) belongs to."""
    code = code.upper()
    if message is None:
        return [e for e in EQUIVALENCES if code in e.codes]
    return [e for e in EQUIVALENCES if e.covers(code, message)]


def equivalent_codes(code: str, message: str | None = None) -> list[str]:
    """The other codes that report the same problem as ``code`` (sorted, canonical first)."""
    out = {c for e in equivalences_of(code, message) for c in e.codes if c != code.upper()}
    return sorted(out, key=canonical_rank)


def silencing_codes(code: str, message: str | None = None) -> list[str]:
    """The codes whose ignore (or pragma) also silences a finding of ``code``: its equivalents,
    except a broad rule that covers this problem among others (CD101 reports every package
    manager's cache): ignoring DL3025 or BK007 silences both, and ignoring DL3042 silences CD101's
    pip finding, but ignoring CD101 leaves DL3042, DL3009... to hadolint's codes."""
    code = code.upper()
    out = {c for e in equivalences_of(code, message) for c in e.codes if c != code and c not in dict(e.only)}
    return sorted(out, key=canonical_rank)


def also_silenced(code: str) -> list[str]:
    """What an ignore of ``code`` silences besides ``code`` itself (for `--show-settings`)."""
    code = code.upper()
    return sorted({c for e in equivalences_of(code) for c in e.codes if c != code and code not in dict(e.only)},
                  key=canonical_rank)


def merge_equivalents(findings: list[Finding]) -> list[Finding]:
    """One finding per problem: of the findings of one equivalence on one line, keep the one
    with the canonical code, name the others in its message (``... (also BK007)``) and borrow a
    fix when the kept one has none. The kept finding keeps its own level: the reported code's
    severity (and its overrides) wins, so one code never shows two levels in one file."""
    groups: dict[tuple[str, int, int], list[Finding]] = {}
    for f in findings:
        for i, eq in enumerate(EQUIVALENCES):
            if eq.covers(f.code, f.message):
                groups.setdefault((f.file, f.line, i), []).append(f)
    dropped: set[int] = set()
    merged: dict[int, set[str]] = {}
    for group in groups.values():
        if len({f.code for f in group}) < 2:
            continue
        keep = min(group, key=lambda f: canonical_rank(f.code))
        for f in group:
            if f.code == keep.code:
                continue
            dropped.add(id(f))
            merged.setdefault(id(keep), set()).add(f.code)
            if keep.fix is None and f.fix is not None:
                keep.fix = f.fix
    out: list[Finding] = []
    for f in findings:
        if id(f) in dropped:
            continue
        also = merged.get(id(f))
        if also:
            f.message = f"{f.message} (also {', '.join(sorted(also, key=canonical_rank))})"
        out.append(f)
    return out
