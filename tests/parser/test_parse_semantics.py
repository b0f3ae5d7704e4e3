"""Parser behaviour, one BuildKit rule at a time (own small inputs)."""

from __future__ import annotations

import pytest

from codi.parser import ParseError, parse


def one(text: str, index: int = -1):  # type: ignore[no-untyped-def]
    return parse(text).instructions[index]


def test_round_trip_is_byte_exact_with_odd_whitespace_and_no_final_newline() -> None:
    text = "\ufeff# syntax=docker/dockerfile:1\r\n\r\n  from   alpine:3 AS  Base \t\r\nRUN  a \\  \r\n\t# c\r\n\r\n  b"
    df = parse(text)
    assert df.print() == text
    assert df.directives == {"syntax": "docker/dockerfile:1"}
    run = df.instructions[-1]
    assert run.args == ["a   b"] and (run.start_line, run.end_line) == (4, 7)
    assert df.instructions[0].keyword_raw == "from"


def test_spans_are_one_based_and_point_at_the_source() -> None:
    df = parse("FROM a\n\n  COPY --from=b x /y\n")
    copy = df.instructions[1]
    assert (copy.span.start_line, copy.span.start_col) == (3, 1)  # the line, indentation included
    assert (copy.keyword_span.start_line, copy.keyword_span.start_col) == (3, 3)
    assert df.text[copy.keyword_span.start : copy.keyword_span.end] == "COPY"
    flag = copy.flags[0]
    assert df.text[flag.span.start : flag.span.end] == "--from=b"
    assert (flag.name, flag.value) == ("from", "b")
    assert "".join(df.text[o] for o in copy.rest_offsets) == copy.rest == "--from=b x /y"


def test_escape_directive_backtick_and_directive_rules() -> None:
    df = parse("# escape=`\nFROM a\nRUN dir c:\\ `\n  && echo\n")
    assert df.escape == "`" and df.instructions[-1].args == ["dir c:\\   && echo"]
    # a comment or blank line ends the directives
    assert parse("# hello\n# escape=`\nFROM a\n").escape == "\\"
    with pytest.raises(ParseError, match="only one escape parser directive"):
        parse("# escape=`\n# escape=\\\nFROM a\n")
    with pytest.raises(ParseError, match="invalid escape token"):
        parse("# escape=x\nFROM a\n")


def test_escaped_escape_at_end_is_not_a_continuation() -> None:
    df = parse("FROM a\nCOPY x C:\\\\\nENV a=b\n")
    assert [i.keyword for i in df.instructions] == ["FROM", "COPY", "ENV"]


def test_json_form_and_fallback() -> None:
    assert one('FROM a\nCMD ["a", "b c"]\n').args == ["a", "b c"]
    assert one('FROM a\nCMD ["a", "b c"]\n').json_form
    bad = one("FROM a\nCMD [\"a\", 'b']\n")
    assert not bad.json_form and bad.args == ["[\"a\", 'b']"]
    assert one("FROM a\nCMD []\n").args == [] and one("FROM a\nCMD []\n").json_form
    with pytest.raises(ParseError, match="strings only"):
        parse('FROM a\nCMD [["a"]]\n')
    assert one('FROM a\nCOPY ["a b", "/c"]\n').args == ["a b", "/c"]


def test_flags_and_double_dash() -> None:
    copy = one('FROM a\nCOPY --chown="a b" --link -- --x /y\n')
    assert [f.raw for f in copy.flags] == ["--chown=a b", "--link"]
    assert copy.args == ["--x", "/y"]


def test_env_label_pairs_and_legacy_form() -> None:
    assert one("FROM a\nENV a=b c=d\n").args == ["a", "b", "=", "c", "d", "="]
    assert one("FROM a\nENV a  b c\n").args == ["a", "b c", ""]
    assert one('FROM a\nLABEL "x y"="1 2"\n').args == ['"x y"', '"1 2"', "="]
    with pytest.raises(ParseError, match="ENV must have two arguments"):
        parse("FROM a\nENV a\n")
    with pytest.raises(ParseError, match="can't find = in"):
        parse("FROM a\nENV a=b c\n")


def test_heredocs() -> None:
    run = one('FROM a\nRUN <<A cat <<-"B" 3<<C\none\nA\n\ttwo\n\tB\nthree\nC\nCMD x\n', 1)
    assert [(h.name, h.content, h.expand, h.chomp, h.fd) for h in run.heredocs] == [
        ("A", "one\n", True, False, 0),
        ("B", "\ttwo\n", False, True, 0),
        ("C", "three\n", True, False, 3),
    ]
    assert (run.start_line, run.end_line) == (2, 8)
    assert one('FROM a\nRUN ["<<EOF"]\n').heredocs == []
    assert one("FROM a\nRUN echo '<<EOF'\n").heredocs == []
    with pytest.raises(ParseError, match="unterminated heredoc") as err:
        parse("FROM a\nRUN <<EOF\nx\n")
    assert err.value.line == 2


def test_onbuild_healthcheck_and_other_forms() -> None:
    ob = one("FROM a\nONBUILD COPY --from=x a /b\n")
    assert ob.inner is not None and ob.inner.keyword == "COPY" and ob.inner.args == ["a", "/b"]
    assert [f.raw for f in ob.inner.flags] == ["--from=x"]
    hc = one("FROM a\nHEALTHCHECK --interval=5s CMD curl -f x\n")
    assert [f.raw for f in hc.flags] == ["--interval=5s"] and hc.args == ["CMD", "curl -f x"]
    assert one("FROM a\nHEALTHCHECK NONE\n").args == ["NONE"]
    assert one('FROM a\nHEALTHCHECK CMD ["a"]\n').args == ["CMD", "a"]
    assert one("FROM a\nEXPOSE 80  443/udp\n").args == ["80", "443/udp"]
    assert one("ARG a=1 b\nFROM x\n", 0).args == ["a=1", "b"]
    assert one("FROM a\nUSER  app:app \n").args == ["app:app"]


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("", 1, "file with no instructions"),
        ("# only\n# comments\n", 2, "file with no instructions"),
        ("FROM a\nFOO bar\n", 2, "unknown instruction: FOO"),
        ("FROM a\nCOPY x\n", 2, "requires at least two arguments"),
        ("FROM a b\n", 1, "FROM requires either one or three arguments"),
        ("FROM a AS 1x\n", 1, "invalid name for build stage"),
        ("FROM a\nONBUILD ONBUILD RUN x\n", 2, "Chaining ONBUILD"),
        ("FROM a\nONBUILD FROM b\n", 2, "isn't allowed as an ONBUILD trigger"),
        ("FROM a\nSHELL /bin/sh -c\n", 2, "SHELL requires the arguments to be in JSON form"),
        ("FROM a\nHEALTHCHECK NONE x\n", 2, "HEALTHCHECK NONE takes no arguments"),
        ("FROM a\nHEALTHCHECK WHAT x\n", 2, "Unknown type"),
        ("FROM a\nCOPY --nope x /y\n", 2, "Unknown flag: nope"),
        ("RUN x\nFROM a\n", 1, "no build stage in current context"),
        ("FROM a\nWORKDIR\n", 2, "WORKDIR requires exactly one argument"),
    ],
)
def test_errors_where_buildkit_errors(text: str, line: int, message: str) -> None:
    with pytest.raises(ParseError) as err:
        parse(text, "x/Dockerfile")
    assert err.value.line == line
    assert message in err.value.message
    assert str(err.value).startswith(f"x/Dockerfile:{line}: ")
