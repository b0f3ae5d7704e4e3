"""The instruction-level DL rules: hadolint's codes, severities and default-off set, and docs."""

from __future__ import annotations

import re

import pytest

from codi.rules.base import Applicability, Severity
from codi.rules.registry import get_rule

E, W, N, S = Severity.ERROR, Severity.WARNING, Severity.INFO, Severity.STYLE
# code -> (severity, enabled by default), as hadolint 2.15 ships them ("Ignore" = off by default).
EXPECTED = {
    "DL1001": (N, False),
    "DL3000": (E, True),
    "DL3002": (W, True),
    "DL3006": (W, True),
    "DL3007": (W, True),
    "DL3010": (N, True),
    "DL3011": (E, True),
    "DL3012": (E, True),
    "DL3020": (E, True),
    "DL3021": (E, True),
    "DL3022": (W, True),
    "DL3023": (E, True),
    "DL3024": (E, True),
    "DL3025": (W, True),
    "DL3026": (E, True),
    "DL3029": (W, True),
    "DL3043": (E, True),
    "DL3044": (E, True),
    "DL3045": (W, True),
    "DL3048": (S, True),
    "DL3049": (N, True),
    "DL3050": (N, True),
    "DL3051": (W, True),
    "DL3052": (W, True),
    "DL3053": (W, True),
    "DL3054": (W, True),
    "DL3055": (W, True),
    "DL3056": (W, True),
    "DL3057": (N, False),
    "DL3058": (W, True),
    "DL3059": (N, True),
    "DL3061": (E, True),
    "DL3063": (W, True),
    "DL3064": (W, True),
    "DL3065": (W, True),
    "DL3066": (N, True),
    "DL3067": (W, True),
    "DL4000": (E, True),
    "DL4003": (W, True),
    "DL4004": (E, True),
}
SECTIONS = ["## What it does", "## Why is this bad?", "## Example", "## Use instead"]


@pytest.mark.parametrize("code", sorted(EXPECTED))
def test_registered_like_hadolint(code: str) -> None:
    rule = get_rule(code)
    assert rule is not None, code
    assert (rule.severity, rule.enabled_by_default) == EXPECTED[code]
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", rule.name), rule.name
    assert get_rule(rule.name) is rule, f"name {rule.name} is not unique"


@pytest.mark.parametrize("code", sorted(EXPECTED))
def test_docs_have_the_sections_in_order(code: str) -> None:
    rule = get_rule(code)
    assert rule is not None
    doc = rule.docs()
    positions = [doc.find(s) for s in SECTIONS]
    assert all(p > 0 for p in positions) and positions == sorted(positions), positions
    assert "```dockerfile" in doc
    assert rule.summary() and not rule.summary().startswith("#")
    fixable = rule.fix_applicability is not None and rule.fix_applicability is not Applicability.DISPLAY
    assert ("## Fix safety" in doc) == fixable
    assert doc.find("## References") > positions[-1]
