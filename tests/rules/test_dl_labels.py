"""Label rules: DL3048-DL3056, DL3058 (schema from RuleConfig.label_schema)."""

from __future__ import annotations

import pytest
from rulekit import run_rule

from codi.rules.base import RuleConfig


def _lines(code: str, text: str, schema: dict[str, str] | None = None, strict: bool = False) -> list[int]:
    config = RuleConfig(label_schema=schema or {}, strict_labels=strict)
    return [f.line for f in run_rule(code, text, config=config)]


@pytest.mark.parametrize("key", ["com.docker.x", "Abc", "a..b", "a--b", "1abc", "io.docker.y", "-a", "a-"])
def test_dl3048_invalid_keys(key: str) -> None:
    assert _lines("DL3048", f"FROM debian:12\nLABEL {key}=1\n") == [2]


@pytest.mark.parametrize(
    "key", ["abc1", "a.b-c", "org.opencontainers.image.title", "maintainer", '"quoted.key"']
)
def test_dl3048_valid_keys(key: str) -> None:
    assert _lines("DL3048", f"FROM debian:12\nLABEL {key}=1\n") == []


def test_dl3049_missing_label_on_image_stages_only() -> None:
    schema = {"version": "semver"}
    text = "FROM debian:12 AS build\nRUN make\nFROM debian:12\nCOPY --from=build /a /a\n"
    assert _lines("DL3049", text, schema) == [3]
    inherited = "FROM debian:12 AS base\nLABEL version=1.0.0\nFROM base\n"
    assert _lines("DL3049", inherited, schema) == []
    assert _lines("DL3049", text) == []


def test_dl3050_superfluous_only_when_strict() -> None:
    text = "FROM debian:12\nLABEL a=b\nLABEL c=d\n"
    assert _lines("DL3050", text, {"a": "text"}, strict=True) == [3]
    assert _lines("DL3050", text, {"a": "text"}) == []


def test_dl3051_empty_schema_label() -> None:
    text = 'FROM debian:12\nLABEL a="" b=""\n'
    assert _lines("DL3051", text, {"a": "text"}) == [2]
    assert _lines("DL3051", text) == []


CASES = [
    ("DL3052", "url", "github.com/x", "https://github.com/example/app"),
    ("DL3053", "rfc3339", "2024-01-01", "2024-01-01T12:00:00Z"),
    ("DL3053", "rfc3339", "2024-13-01T00:00:00Z", "2024-01-01T12:00:00.5+02:00"),
    ("DL3054", "spdx", '"Apache 2"', "Apache-2.0"),
    ("DL3054", "spdx", "Foo-License", '"MIT OR Apache-2.0"'),
    ("DL3055", "hash", "main", "0123456789abcdef0123456789abcdef01234567"),
    ("DL3055", "hash", "0123456789ABCDEF0123456789ABCDEF01234567", "abcdef0"),
    ("DL3056", "semver", "1.0", "1.2.3-rc.1+build.5"),
    ("DL3056", "semver", "v1.2.3", "0.1.0"),
    ("DL3058", "email", '"ops team"', "ops@example.com"),
]


@pytest.mark.parametrize(("code", "kind", "bad", "good"), CASES)
def test_label_formats(code: str, kind: str, bad: str, good: str) -> None:
    schema = {"l": kind}
    assert _lines(code, f"FROM debian:12\nLABEL l={bad}\n", schema) == [2]
    assert _lines(code, f"FROM debian:12\nLABEL l={good}\n", schema) == []
    # not in the schema, or typed otherwise: nothing to check
    assert _lines(code, f"FROM debian:12\nLABEL l={bad}\n") == []
    assert _lines(code, f"FROM debian:12\nLABEL l={bad}\n", {"l": "text"}) == []


def test_label_value_from_arg_and_unknown_arg() -> None:
    schema = {"version": "semver"}
    assert _lines("DL3056", "FROM debian:12\nARG V=1.2\nLABEL version=$V\n", schema) == [3]
    assert _lines("DL3056", "FROM debian:12\nARG V\nLABEL version=$V\n", schema) == []
