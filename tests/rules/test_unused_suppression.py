"""CD0002 unused-suppression: pragma codes that silenced nothing, off by default (issue 22)."""

from __future__ import annotations

from codi.rules.engine import Engine, FileInput, FileSettings
from codi.rules.registry import all_rules
from codi.rules.selection import Selection, SelectionLayer

TEXT = (
    "FROM debian:12.5\n"
    "# hadolint ignore=DL3008,DL9999\n"
    "RUN echo hi\n"
    "# hadolint global ignore=DL3006\n"
    "# codi: ignore=DL3003\n"
    "RUN cd /x\n"
    "# hadolint ignore=DL3020\n"
    "COPY a /a\n"
)


def lint(extend: tuple[str, ...] = (), ignore: tuple[str, ...] = (), pragmas: bool = True) -> list[tuple[int, str]]:
    rules = all_rules()
    settings = FileSettings(Selection([SelectionLayer(extend_select=extend, ignore=ignore)], rules), pragmas=pragmas)
    found = Engine(rules).lint([FileInput("Dockerfile", TEXT, settings)]).findings
    return [(f.line, f.message) for f in found if f.code == "CD0002"]


def test_off_by_default() -> None:
    assert lint() == []


def test_reports_unused_and_unknown_codes_only() -> None:
    found = lint(extend=("CD0002",))
    assert [line for line, _ in found] == [2, 2, 4, 7]
    messages = " | ".join(m for _, m in found)
    assert "pragma for DL3008 silences nothing" in messages
    assert "`DL9999`" in messages and "DL3006 finding in this file" in messages
    assert "DL3003" not in messages  # it silenced `cd`
    assert "pragma for DL3020 silences nothing: no DL3020 finding on the instruction below" in messages


def test_codes_of_rules_not_selected_are_left_alone() -> None:
    assert all("DL3008" not in m for _, m in lint(extend=("CD0002",), ignore=("DL3008",)))


def test_nothing_when_pragmas_are_disabled() -> None:
    assert lint(extend=("CD0002",), pragmas=False) == []
