"""DL1001: inline ignore pragmas."""

from __future__ import annotations

from rulekit import lines

from codi.rules.registry import get_rule


def test_dl1001_inline_pragmas_fire() -> None:
    text = "FROM debian:12\n# hadolint ignore=DL3008\nRUN apt-get install -y x\n#codi: ignore=DL3059\nRUN b\n"
    assert lines("DL1001", text) == [2, 4]


def test_dl1001_global_pragma_and_plain_comments() -> None:
    text = "# hadolint global ignore=DL3008\nFROM debian:12\n# ignore this: DL3008\nRUN x # hadolint ignore=DL1\n"
    assert lines("DL1001", text) == []


def test_dl1001_off_by_default() -> None:
    rule = get_rule("DL1001")
    assert rule is not None and rule.enabled_by_default is False
