"""Rule selection: ruff's select / extend-select / ignore over codes, prefixes, names and ALL."""

from __future__ import annotations

from collections.abc import Iterable

import pytest

from codi.rules.base import BatchRule, Finding, Rule, RuleContext, Severity
from codi.rules.selection import Selection, SelectionLayer, UnknownSelector


class _Fake(Rule):
    def check(self, ctx: RuleContext) -> Iterable[Finding]:
        return ()


def fake(code: str, name: str, on: bool = True) -> type[Rule]:
    return type(name, (_Fake,), {"code": code, "name": name, "severity": Severity.WARNING, "enabled_by_default": on})


class FakeShellCheck(BatchRule):
    code = "SC"
    name = "shellcheck"
    severity = Severity.WARNING

    def check_batch(self, ctxs: list[RuleContext]) -> list[Finding]:
        return []


RULES = [
    fake("DL3006", "image-tag"),
    fake("DL3008", "apt-pin"),
    fake("DL3026", "trusted-registry", on=False),
    fake("DL4000", "maintainer"),
    fake("BK001", "StageNameCasing"),
    fake("CD101", "copy-before-install"),
    fake("CD201", "dev-server-cmd", on=False),
    FakeShellCheck,
]


def selected(*layers: SelectionLayer) -> set[str]:
    sel = Selection(list(layers), RULES)
    return {r.code for r in sel.enabled_rules()}


def test_defaults_are_the_enabled_by_default_rules() -> None:
    assert selected() == {"DL3006", "DL3008", "DL4000", "BK001", "CD101", "SC"}


def test_select_replaces_the_default_set_and_enables_a_default_off_rule() -> None:
    assert selected(SelectionLayer(select=("DL3026",))) == {"DL3026"}


def test_prefix_and_name_selectors() -> None:
    assert selected(SelectionLayer(select=("DL30",))) == {"DL3006", "DL3008", "DL3026"}
    assert selected(SelectionLayer(select=("stagenamecasing",))) == {"BK001"}
    assert selected(SelectionLayer(select=("ALL",))) == {r.code for r in RULES}


def test_extend_select_adds_and_ignore_removes() -> None:
    got = selected(SelectionLayer(extend_select=("CD2",), ignore=("DL3008", "maintainer")))
    assert got == {"DL3006", "BK001", "CD101", "CD201", "SC"}


def test_more_specific_selector_wins_within_a_layer() -> None:
    # ignore the whole DL family but keep DL3008: the longer selector decides
    assert selected(SelectionLayer(select=("DL",), ignore=("DL30",), extend_select=("DL3008",))) == {"DL3008", "DL4000"}
    # a tie goes to ignore
    assert selected(SelectionLayer(select=("DL3008",), ignore=("DL3008",))) == set()


def test_later_select_discards_earlier_layers() -> None:
    config = SelectionLayer(ignore=("DL3006",), source="config")
    cli = SelectionLayer(select=("DL3006", "DL3008"), source="cli")
    assert selected(config, cli) == {"DL3006", "DL3008"}
    # but a later ignore-only layer adjusts what came before
    assert selected(SelectionLayer(select=("DL",)), SelectionLayer(ignore=("DL3026",))) == {"DL3006", "DL3008", "DL4000"}


def test_shellcheck_codes_are_selected_per_finding_code() -> None:
    sel = Selection([SelectionLayer(ignore=("SC2086",))], RULES)
    assert sel.rule_enabled(FakeShellCheck)
    assert sel.selects("SC2046") and not sel.selects("SC2086")

    only = Selection([SelectionLayer(select=("SC2086",))], RULES)
    assert only.rule_enabled(FakeShellCheck)  # must run to find SC2086
    assert only.selects("SC2086") and not only.selects("SC2046")
    assert not only.selects("DL3008")

    none = Selection([SelectionLayer(ignore=("SC",))], RULES)
    assert not none.rule_enabled(FakeShellCheck)

    family_minus_one = Selection([SelectionLayer(select=("DL3008",), extend_select=("SC20",), ignore=("SC2086",))], RULES)
    assert family_minus_one.rule_enabled(FakeShellCheck)
    assert family_minus_one.selects("SC2046") and not family_minus_one.selects("SC2086")
    assert not family_minus_one.selects("SC1000")


def test_shellcheck_name_selects_the_whole_family() -> None:
    sel = Selection([SelectionLayer(select=("shellcheck",))], RULES)
    assert sel.selects("SC2086") and not sel.selects("DL3008")


@pytest.mark.parametrize("token", ["DL9", "XYZ", "apt-pinn", "SCX"])
def test_unknown_selectors_are_errors_naming_the_source(token: str) -> None:
    with pytest.raises(UnknownSelector) as err:
        Selection([SelectionLayer(select=(token,), source=".codi.toml")], RULES)
    assert token in str(err.value) and ".codi.toml" in str(err.value)
