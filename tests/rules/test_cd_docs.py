"""Every CD rule is registered with a sensible code, name, severity and documentation."""

from __future__ import annotations

import re

from codi.rules.base import Applicability, Rule
from codi.rules.registry import all_rules

SECTIONS = ["## What it does", "## Why is this bad?", "## Example", "## Use instead"]


def cd_rules() -> list[type[Rule]]:
    return [r for r in all_rules() if r.code.startswith("CD") and not r.code.startswith("CD0")]


def test_at_least_fourteen_cd_rules_in_their_ranges() -> None:
    rules = cd_rules()
    assert len(rules) >= 14
    for rule in rules:
        assert re.fullmatch(r"CD[123]\d\d", rule.code), rule.code
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", rule.name), rule.name
    assert len({r.name for r in rules}) == len(rules)


def test_docs_have_the_sections_in_order() -> None:
    for rule in cd_rules():
        doc = rule.docs()
        positions = [doc.find(s) for s in SECTIONS]
        assert all(p > 0 for p in positions), (rule.code, positions)
        assert positions == sorted(positions), rule.code
        assert "```dockerfile" in doc, rule.code
        assert rule.summary() and not rule.summary().startswith("#"), rule.code
        if rule.fix_applicability is not None and rule.fix_applicability is not Applicability.DISPLAY:
            assert "## Fix safety" in doc, rule.code
        if "## References" in doc:
            assert doc.find("## References") > positions[-1], rule.code
