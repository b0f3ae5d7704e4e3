"""Word expansion as BuildKit's ProcessWord does it."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from codi.parser.expand import UnresolvedVariable, expand, expand_strict, variables_used

ENV: dict[str, str | None] = {
    "a": "A",
    "empty": "",
    "unset": None,
    "ver": "1.2.3",
    "path": "/usr/local/bin",
    "sp": "x y",
}


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("plain", "plain"),
        ("$a", "A"),
        ("${a}", "A"),
        ("pre${a}post", "preApost"),
        ("$a/$a", "A/A"),
        ("$missing", ""),
        ("$unset", ""),
        ("${a:-d}", "A"),
        ("${empty:-d}", "d"),
        ("${unset:-d}", "d"),
        ("${missing:-d}", "d"),
        ("${empty-d}", ""),
        ("${unset-d}", "d"),
        ("${a:+yes}", "yes"),
        ("${empty:+yes}", ""),
        ("${empty+yes}", "yes"),
        ("${unset+yes}", ""),
        ("${unset:-${a}}", "A"),
        ("${unset:-${missing:-deep}}", "deep"),
        ("${unset:-$a-x}", "A-x"),
        ("${a?boom}", "A"),
        ("${unset?boom}", ""),
        ("${ver%.*}", "1.2"),
        ("${ver%%.*}", "1"),
        ("${ver#*.}", "2.3"),
        ("${ver##*.}", "3"),
        ("${ver%.?}", "1.2"),
        ("${path/local/opt}", "/usr/opt/bin"),
        ("${ver//./-}", "1-2-3"),
        ("${ver/./-}", "1-2.3"),
        ("$", "$"),
        ("a$ b", "a$ b"),
        ("$-", ""),
        ("$1x", "x"),
        ("${a}b${sp}", "Abx y"),
    ],
)
def test_expand(word: str, expected: str) -> None:
    assert expand(word, ENV) == expected


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ('"$a b"', "A b"),
        ("'$a b'", "$a b"),
        ('"it\'s"', "it's"),
        ("'say \"hi\"'", 'say "hi"'),
        ('"a\\"b"', 'a"b'),
        ('"a\\$a"', "a$a"),
        ('"a\\\\b"', "a\\b"),
        ('"a\\b"', "a\\b"),  # other escapes stay inside double quotes
        ("\\$a", "$a"),
        ("a\\ b", "a b"),
        ("a\\", "a"),  # trailing escape dropped
        ('${unset:-"x y"}', "x y"),
        ("${unset:-'$a'}", "$a"),
        ("x'y'\"z\"", "xyz"),
    ],
)
def test_quotes_and_escapes(word: str, expected: str) -> None:
    assert expand(word, ENV) == expected


def test_backtick_escape() -> None:
    assert expand("`$a \\$a", ENV, escape="`") == "$a \\A"
    assert expand('"C:\\dir `"q`""', ENV, escape="`") == 'C:\\dir "q"'


@pytest.mark.parametrize(
    "word",
    ["${}", "${", "${a", "${a:x}", "${:}", "${{a}}", '"open', "'open", "${a:-x", "${ver/x"],
)
def test_bad_syntax_never_raises(word: str) -> None:
    assert isinstance(expand(word, ENV), str)
    assert isinstance(variables_used(word), list)


def test_bad_syntax_keeps_text() -> None:
    assert expand("x${}y", ENV) == "x${}y"
    assert expand("${a:x}z", ENV) == "${a:x}z"
    assert expand("'open $a", ENV) == "open $a"


def test_strict_raises_for_unset() -> None:
    for word in ("$unset", "${missing}", "x${unset}y", "${unset?msg}", "${unset:-$missing}", "${unset#x}"):
        with pytest.raises(UnresolvedVariable):
            expand_strict(word, ENV)


def test_strict_with_defaults() -> None:
    assert expand_strict("${unset:-x}", ENV) == "x"
    assert expand_strict("${unset-x}", ENV) == "x"
    assert expand_strict("${unset+x}", ENV) == ""
    assert expand_strict("${a:-$missing}", ENV) == "A"  # the default is not taken
    assert expand_strict("$empty", ENV) == ""
    assert expand_strict("'$unset'", ENV) == "$unset"
    assert expand_strict("\\$unset", ENV) == "$unset"


def test_strict_names_the_variable() -> None:
    with pytest.raises(UnresolvedVariable, match="TAG"):
        expand_strict("img:${TAG}", {"TAG": None})


def test_variables_used() -> None:
    assert variables_used("$a ${b} ${c:-$d} $a") == ["a", "b", "c", "d"]
    assert variables_used("no vars") == []
    assert variables_used("\\$a '$b' \"$c\"") == ["c"]
    assert variables_used("`$a", escape="`") == []
    assert variables_used("${ver%.*}") == ["ver"]


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="$a{}:-+?#%/'\"\\` bx", max_size=30))
def test_fuzz_only_unresolved(word: str) -> None:
    assert isinstance(expand(word, ENV), str)
    try:
        expand_strict(word, ENV)
    except UnresolvedVariable:
        pass
