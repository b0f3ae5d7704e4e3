"""Inline pragmas: `# hadolint ignore=...`, `# codi: ignore=...` and their `global` forms."""

from __future__ import annotations

import pytest

from codi.rules.suppress import parse_pragma


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("# hadolint ignore=DL3008", (False, {"DL3008"})),
        ("#hadolint ignore = DL3008, SC2086", (False, {"DL3008", "SC2086"})),
        ("#   hadolint   ignore=dl3008,apt-get-pin-versions", (False, {"DL3008", "APT-GET-PIN-VERSIONS"})),
        ("# hadolint global ignore=DL3006", (True, {"DL3006"})),
        ("# codi: ignore=CD101", (False, {"CD101"})),
        ("#codi:ignore=CD101,CD102", (False, {"CD101", "CD102"})),
        ("# codi: global ignore=SC2086", (True, {"SC2086"})),
        ("# codi ignore=DL3008", (False, {"DL3008"})),
        ("# hadolint ignore=DL3008   because the mirror pins it", (False, {"DL3008"})),
        ("  # HADOLINT ignore=DL3008", (False, {"DL3008"})),
    ],
)
def test_pragma_forms(line: str, expected: tuple[bool, set[str]]) -> None:
    assert parse_pragma(line) == expected


@pytest.mark.parametrize(
    "line",
    [
        "# ignore=DL3008",
        "# hadolint ignore=",
        "# hadolintignore=DL3008",
        "# hadolint ignore=DL3008;rm -rf",
        "# just a comment about hadolint",
        "# codi: ignored=DL3008",
    ],
)
def test_not_pragmas(line: str) -> None:
    assert parse_pragma(line) is None
