"""LegacyKeyValueFormat (BK013) and its meaning-preserving fix."""

from __future__ import annotations

import pytest
from rulekit import lines, run_rule
from test_buildkit_stages import apply

from codi.parser import parse
from codi.parser.expand import expand


def values(text: str) -> list[tuple[str, str]]:
    env = {"PATH": "/bin", "X": "x  y"}
    out = []
    for instr in parse(text).instructions:
        if instr.keyword in ("ENV", "LABEL"):
            out += [(instr.args[i], expand(instr.args[i + 1], env)) for i in range(0, len(instr.args), 3)]
    return out


def test_fires_on_legacy_env_and_label_only() -> None:
    text = "FROM alpine\nENV A 1\nLABEL b 2\nENV C=3\nARG D 4\n"
    found = run_rule("LegacyKeyValueFormat", text)
    assert [f.line for f in found] == [2, 3]
    assert found[0].message == '"ENV key=value" should be used instead of legacy "ENV key value" format'
    assert lines("BK013", "FROM alpine\nENV A=1 B=2\n") == []


@pytest.mark.parametrize(
    "legacy",
    [
        "ENV PATH /opt/bin:$PATH",
        "ENV JAVA_OPTS -Xmx512m   -Xms256m",
        'ENV MSG "hello world" and more',
        "ENV Q it's  'quoted  text'",
        "ENV E a\\ b  c\\$d",
        "ENV T a\tb",
        "LABEL description This is ${X} here",
        "ENV K =starts-with-equals",
        "ENV LIST a \\\n    b \\\n    c",
        "ENV URLS \\\n\thttps://a/ \\\n\thttps://b/",
    ],
)
def test_fix_keeps_key_and_value_exactly(legacy: str) -> None:
    text = f"FROM alpine\n{legacy}\nRUN true\n"
    [f] = run_rule("BK013", text)
    assert f.fix is not None and f.fix.applicability.value == "safe"
    fixed = apply(text, "BK013")
    assert values(fixed) == values(text)
    assert lines("BK013", fixed) == []  # now in key=value form
    assert apply(fixed, "BK013") == fixed  # idempotent


def test_fix_matches_buildkit_parser() -> None:
    dockerfile = pytest.importorskip("dockerfile")
    text = 'FROM alpine\nENV MSG "a b" c  d\n'
    fixed = apply(text, "BK013")
    assert fixed == 'FROM alpine\nENV MSG="a b"" "c"  "d\n'
    node = dockerfile.parse_string(fixed)[1]
    assert node.value == ("MSG", '"a b"" "c"  "d')


def test_no_fix_when_a_comment_separates_key_and_value() -> None:
    text = "FROM alpine\nENV A \\\n# note\n  value\n"
    [f] = run_rule("BK013", text)
    assert f.fix is None
