"""hadolint parity: instructions before the first FROM and inside ONBUILD; pragma forms."""

from __future__ import annotations

import pytest

from codi.rules.base import Finding
from codi.rules.engine import Engine, FileInput, FileSettings
from codi.rules.registry import all_rules
from codi.rules.selection import Selection, SelectionLayer
from codi.rules.suppress import parse_pragma, parse_shell_pragma


def lint(text: str) -> list[Finding]:
    rules = all_rules()
    settings = FileSettings(selection=Selection([SelectionLayer(select=("DL", "SC"))], rules))
    return Engine(rules).lint([FileInput("Dockerfile", text, settings)]).findings


def codes(text: str, line: int) -> set[str]:
    return {f.code for f in lint(text) if f.line == line}


def test_file_without_from_is_linted_as_an_implicit_stage() -> None:
    assert {"DL3040", "DL3041", "DL3061"} <= codes("RUN dnf install -y x\n", 1)


def test_before_from_keeps_later_lines_in_place() -> None:
    text = "# syntax=docker/dockerfile:1\nRUN apk add curl\nFROM alpine:3.19\nRUN apk add --no-cache git\n"
    findings = lint(text)
    assert {"DL3018", "DL3061"} <= {f.code for f in findings if f.line == 2}
    assert "DL3018" in {f.code for f in findings if f.line == 4}
    assert not [f for f in findings if f.line == 1]


def test_onbuild_run_is_linted_and_says_so() -> None:
    text = "FROM debian:12.5\nONBUILD RUN apt-get update && apt-get install python\n"
    found = [f for f in lint(text) if f.line == 2]
    assert {"DL3008", "DL3009", "DL3014", "DL3015"} <= {f.code for f in found}
    assert all("in ONBUILD" in f.message for f in found if f.code.startswith("DL"))


def test_onbuild_as_hadolint_does() -> None:
    assert "DL3027" in codes("FROM debian:12.5\nONBUILD RUN apt install -y curl\n", 2)
    assert "DL3047" in codes("FROM debian:12.5\nONBUILD RUN wget https://x/y\n", 2)
    assert "DL3064" in codes("FROM debian:12.5\nONBUILD ENV DB_PASSWORD=x\n", 2)
    assert "DL3025" not in codes("FROM debian:12.5\nONBUILD CMD python app.py\n", 2)  # hadolint neither
    assert "DL3059" not in codes("FROM debian:12.5\nRUN a\nONBUILD RUN b\nRUN c\n", 4)


def test_onbuild_pragma_applies() -> None:
    text = "FROM debian:12.5\n# hadolint ignore=DL3008\nONBUILD RUN apt-get install -y --no-install-recommends curl\n"
    assert "DL3008" not in codes(text, 3)


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("# hadolint ignore=crazy,DL3008", {"CRAZY", "DL3008"}),  # an odd item cancels nothing
        ("# hadolint ignore=DL3008,", {"DL3008"}),
        ("# hadolint ignore=DL3008 , DL3015", {"DL3008", "DL3015"}),
        ("# hadolint ignore=DL3008 # why", {"DL3008"}),
        ("#hadolint ignore=DL3008", {"DL3008"}),
    ],
)
def test_ignore_lists(line: str, expected: set[str]) -> None:
    assert parse_pragma(line) == (False, expected)


def test_invalid_code_does_not_cancel_valid_ones() -> None:
    text = "FROM debian:12.5\n# hadolint ignore=crazy,DL3008\nRUN apt-get install -y --no-install-recommends x\n"
    assert "DL3008" not in codes(text, 3)


@pytest.mark.parametrize(
    ("line", "shell"),
    [("# hadolint shell=powershell", "powershell"), ("#hadolint shell = /bin/bash", "bash"),
     ("# codi: shell=pwsh", "pwsh"), ("# hadolint ignore=DL3003", None)],
)
def test_shell_pragma(line: str, shell: str | None) -> None:
    assert parse_shell_pragma(line) == shell


def test_shell_pragma_turns_shellcheck_off_until_the_next_from() -> None:
    text = "FROM debian:12.5\nRUN cd /x\n# hadolint shell=powershell\nRUN cd /y\nFROM debian:12.5 AS b\nRUN cd /z\n"
    found = lint(text)
    sc = sorted(f.line for f in found if f.code.startswith("SC"))
    if not sc:
        pytest.skip("shellcheck not available")
    assert sc == [2, 6]
    assert {f.line for f in found if f.code == "DL3003"} == {2, 4, 6}  # DL rules ignore the pragma
