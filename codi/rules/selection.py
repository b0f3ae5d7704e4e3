"""Which rule codes a lint run reports: ruff's select / extend-select / ignore, layer by layer.

A selector is ``ALL``, a rule name (``StageNameCasing``), a full code (``DL3008``) or a code
prefix (``DL30``, ``SC``, ``CD1``). Settings come in layers (defaults, config files, environment,
command line). Within a layer the most specific matching selector decides (``ignore`` wins a tie);
a layer that sets ``select`` starts over from what it selects, one that only sets
``extend-select`` / ``ignore`` adjusts what the layers before it chose.

Batch rules (ShellCheck, code ``SC``) report many codes (``SC2086``...), unknown in advance, so
selection works on code strings, not rule classes.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from codi.rules.base import BatchRule, Rule

ALL = "ALL"


class UnknownSelector(ValueError):
    """A selector that names no rule and is no prefix of any code."""

    def __init__(self, token: str, where: str = "") -> None:
        self.token = token
        self.where = where
        self.reason = f"unknown rule selector {token!r} (use a code, a code prefix, a rule name or ALL)"
        super().__init__(f"{where}: {self.reason}" if where else self.reason)


@dataclass(frozen=True, slots=True)
class SelectionLayer:
    """What one settings source says; ``select=None`` means "keep what came before"."""

    select: tuple[str, ...] | None = None
    extend_select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    source: str = ""
    lenient: bool = False  # drop unknown selectors instead of failing (a hadolint config naming retired codes)


@dataclass(frozen=True, slots=True)
class _Layer:
    select: tuple[str, ...] | None
    extend_select: tuple[str, ...]
    ignore: tuple[str, ...]


def _specificity(selector: str) -> int:
    return 0 if selector == ALL else len(selector)


def _matches(selector: str, code: str) -> bool:
    return selector == ALL or code.startswith(selector)


class Selection:
    """Resolves layers of selectors against the registered rules."""

    def __init__(self, layers: Sequence[SelectionLayer], rules: Sequence[type[Rule]]) -> None:
        self._rules = list(rules)
        self._by_name = {r.name.upper(): r.code for r in self._rules}
        self._batch_codes = [r.code for r in self._rules if issubclass(r, BatchRule)]
        defaults = tuple(r.code for r in self._rules if r.enabled_by_default)
        self._layers = [_Layer(defaults, (), ())]
        for layer in layers:
            self._layers.append(
                _Layer(
                    None if layer.select is None else self.normalize_all(layer.select, layer.source, layer.lenient),
                    self.normalize_all(layer.extend_select, layer.source, layer.lenient),
                    self.normalize_all(layer.ignore, layer.source, layer.lenient),
                )
            )
        self._cache: dict[str, bool] = {}

    def normalize(self, token: str, where: str = "") -> str:
        """The selector as a code prefix (names become their code); raise on unknown ones."""
        key = token.strip().upper()
        if key == ALL:
            return ALL
        if key in self._by_name:
            return self._by_name[key]
        if key and (
            any(r.code.startswith(key) for r in self._rules) or any(key.startswith(b) and key[len(b) :].isdigit() for b in self._batch_codes)
        ):
            return key
        raise UnknownSelector(token.strip(), where)

    def normalize_all(self, tokens: Iterable[str], where: str = "", lenient: bool = False) -> tuple[str, ...]:
        out: list[str] = []
        for token in tokens:
            if not token.strip():
                continue
            try:
                out.append(self.normalize(token, where))
            except UnknownSelector:
                if not lenient:
                    raise
        return tuple(out)

    def selects(self, code: str) -> bool:
        """Whether a finding with this code is reported."""
        code = code.upper()
        if code not in self._cache:
            self._cache[code] = self._resolve(code)
        return self._cache[code]

    def selects_if_default(self, code: str) -> bool:
        """Whether ``code`` would be reported were it on by default: a file turns on BuildKit's
        experimental check (``# check=experimental=``), and the user's settings still decide."""
        return self._resolve(code.upper(), on_by_default=True)

    def _resolve(self, code: str, on_by_default: bool = False) -> bool:
        state = False
        carried: tuple[str, ...] = ()
        for number, layer in enumerate(self._layers):
            select = layer.select or ()
            if number == 0 and on_by_default:
                select = (*select, code)
            update = self._decide(code, select, layer.extend_select, layer.ignore + carried)
            carried = ()
            if layer.select is not None:
                state = update is True
                if not layer.select and not layer.extend_select and layer.ignore:
                    carried = layer.ignore  # ruff carries a bare `ignore` over an empty `select`
            elif update is not None:
                state = update
        return state

    @staticmethod
    def _decide(code: str, select: Sequence[str], extend: Sequence[str], ignore: Sequence[str]) -> bool | None:
        best = -1
        verdict: bool | None = None
        for selectors, value in ((list(select) + list(extend), True), (ignore, False)):
            for sel in selectors:
                if not _matches(sel, code):
                    continue
                spec = _specificity(sel)
                if spec > best or (spec == best and value is False):
                    best, verdict = spec, value
        return verdict

    def ignores_exactly(self, code: str) -> bool:
        """Whether some layer ignores this very code (or its rule, by name); a prefix or ``ALL``
        does not count. Used to let an ignored code silence its equivalents (``DL3025`` / ``BK007``)."""
        code = code.upper()
        return not self.selects(code) and any(code in layer.ignore for layer in self._layers)

    def rule_enabled(self, rule: type[Rule]) -> bool:
        """Whether the rule must run: for a batch rule, whether any code it may report is selected."""
        if not issubclass(rule, BatchRule):
            return self.selects(rule.code)
        prefix = rule.code.upper()
        candidates = {prefix + "\0"}  # stands for codes no specific selector mentions
        for layer in self._layers:
            for sel in (layer.select or ()) + layer.extend_select + layer.ignore:
                if sel.startswith(prefix):
                    candidates.add(sel)
        return any(self.selects(c) for c in candidates)

    def enabled_rules(self) -> list[type[Rule]]:
        return [r for r in self._rules if self.rule_enabled(r)]
