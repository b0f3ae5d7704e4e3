"""The CST itself: trivia, spans, offsets, heredoc bodies, limits and error kinds."""

from __future__ import annotations

from pathlib import Path

import pytest

from codi.parser import ParseError, parse, parse_file


def test_trivia_kinds_cover_everything_between_instructions() -> None:
    text = "\ufeff# syntax=x\n# check=skip=all\n\n# a comment\n   \nFROM a\n"
    df = parse(text)
    kinds = [(n.kind, n.text) for n in df.nodes if not hasattr(n, "keyword")]
    assert kinds == [
        ("bom", "\ufeff"),
        ("directive", "# syntax=x\n"),
        ("directive", "# check=skip=all\n"),
        ("blank", "\n"),
        ("comment", "# a comment\n"),
        ("blank", "   \n"),
    ]
    assert df.directives == {"syntax": "x", "check": "skip=all"}
    assert df.print() == text


def test_instruction_text_holds_continuations_comments_and_heredocs() -> None:
    text = "FROM a\nRUN a \\\n# inside\n\n  b\nCOPY <<EOF /x\nbody\nEOF\n# after\n"
    df = parse(text)
    run, copy = df.instructions[1], df.instructions[2]
    assert run.text == "RUN a \\\n# inside\n\n  b\n"
    assert (run.start_line, run.end_line) == (2, 5)
    assert run.args == ["a   b"] and run.original == "RUN a   b"
    assert copy.text == "COPY <<EOF /x\nbody\nEOF\n" and copy.end_line == 8
    heredoc = copy.heredocs[0]
    assert df.text[heredoc.span.start : heredoc.span.end] == "body\nEOF\n"
    assert (heredoc.span.start_line, heredoc.span.end_line) == (7, 8)
    assert df.nodes[-1].text == "# after\n"


def test_rest_offsets_point_into_the_file_across_continuations() -> None:
    text = "FROM a\nRUN --network=none echo \\\n    hi \\\n  there\n"
    run = parse(text).instructions[1]
    assert run.rest == "--network=none echo     hi   there"
    assert "".join(text[o] for o in run.rest_offsets) == run.rest
    flag = run.flags[0]
    assert text[flag.span.start : flag.span.end] == "--network=none"
    assert (flag.name, flag.value, flag.raw) == ("network", "none", "--network=none")
    assert run.keyword_span.start_col == 1 and text[run.keyword_span.start : run.keyword_span.end] == "RUN"


def test_span_end_is_exclusive_and_on_the_last_line() -> None:
    df = parse("FROM a\nCMD x")
    cmd = df.instructions[1]
    assert (cmd.span.start_line, cmd.span.start_col, cmd.span.end_line, cmd.span.end_col) == (2, 1, 2, 6)
    assert df.newline == "\n" and parse("FROM a\r\n").newline == "\r\n"


def test_env_label_markers_and_keyword_case() -> None:
    df = parse("from a\nenv a=b c=d\nLabel x y z\nArg n=v m\n")
    assert [i.keyword for i in df.instructions] == ["FROM", "ENV", "LABEL", "ARG"]
    assert [i.keyword_raw for i in df.instructions] == ["from", "env", "Label", "Arg"]
    assert df.instructions[1].args == ["a", "b", "=", "c", "d", "="]
    assert df.instructions[2].args == ["x", "y z", ""]
    assert df.instructions[3].args == ["n=v", "m"]


def test_onbuild_keeps_the_trigger_in_inner_with_its_heredocs() -> None:
    text = 'FROM a\nONBUILD RUN <<EOF\nx\nEOF\nONBUILD RUN ["<<EOF"]\n'
    df = parse(text)
    wrapped, json_form = df.instructions[1], df.instructions[2]
    assert wrapped.args == [] and wrapped.inner is not None
    assert wrapped.inner.keyword == "RUN" and wrapped.inner.args == ["<<EOF"]
    assert [h.content for h in wrapped.heredocs] == ["x\n"] and wrapped.end_line == 4
    assert wrapped.inner.heredocs == wrapped.heredocs
    assert json_form.inner is not None and json_form.inner.json_form and json_form.heredocs == []
    assert text[wrapped.inner.keyword_span.start : wrapped.inner.keyword_span.end] == "RUN"


def test_flags_are_read_bytewise_like_go() -> None:
    # extractBuilderFlags converts each UTF-8 byte to a rune: BuildKit's flag value is mojibake.
    copy = parse("FROM a\nCOPY --chown=é x /y\n").instructions[1]
    assert copy.flags[0].raw == "--chown=\u00c3\u00a9" and copy.args == ["x", "/y"]


def test_json_decoding_follows_go() -> None:
    df = parse('FROM a\nCMD ["a"] trailing\nCMD [1e999]\nCMD [NaN]\nCMD ["\\ud800"]\n')
    cmds = df.instructions[1:]
    assert cmds[0].json_form and cmds[0].args == ["a"]
    assert not cmds[1].json_form and cmds[1].args == ["[1e999]"]
    assert not cmds[2].json_form
    assert cmds[3].args == ["\ufffd"]


def test_a_line_over_bufio_limit_is_an_error() -> None:
    ok = "FROM a\nRUN " + "x" * (65535 - 4) + "\n"
    assert parse(ok).instructions[1].args[0].startswith("xx")
    with pytest.raises(ParseError, match="greater than max allowed size of 65535") as err:
        parse("FROM a\nRUN " + "x" * (65536 - 4) + "\nRUN b\n")
    assert err.value.line == 2
    with pytest.raises(ParseError, match="file with no instructions"):
        parse("RUN " + "x" * 100_000 + "\n")


def test_error_kinds_and_lint_mode() -> None:
    with pytest.raises(ParseError) as err:
        parse("FROM a\nENV a\n")
    assert err.value.kind == "syntax"
    with pytest.raises(ParseError) as err:
        parse("RUN x\nFROM a\n")
    assert err.value.kind == "instruction" and err.value.rule == "DL3061"
    assert parse("RUN x\nFROM a\n", lint_mode=True).instructions[0].keyword == "RUN"


def test_directive_errors_carry_their_line() -> None:
    with pytest.raises(ParseError) as err:
        parse("# syntax=a\n# escape=!\nFROM a\n")
    assert err.value.line == 2 and "invalid escape token '!'" in err.value.message
    with pytest.raises(ParseError) as err:
        parse("# check=a\n# Check=b\nFROM a\n")
    assert err.value.line == 2 and "only one check parser directive" in err.value.message


def test_parse_file_keeps_bytes_that_are_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "Dockerfile"
    data = b"FROM a\nLABEL x=\xff\xfe\nRUN echo \x00\n"
    path.write_bytes(data)
    df = parse_file(path)
    assert df.print().encode("utf-8", "surrogateescape") == data
    assert df.instructions[1].args == ["x", "\ufffd\ufffd", "="]
    assert df.path == str(path)


def test_healthcheck_type_is_split_on_bytes_like_go() -> None:
    # U+00A0 is C2 A0 in UTF-8: Go stops skipping spaces at the C2 byte, so it stays in the command.
    health = parse("FROM a\nHEALTHCHECK CMD \u00a0x\n").instructions[1]
    assert health.args == ["CMD", "\u00a0x"]


def test_heredoc_word_lexing_skips_a_leading_bom_like_go_text_scanner() -> None:
    run = parse("FROM a\nRUN cat <<\ufeffEOF\nx\nEOF\n").instructions[1]
    assert [h.name for h in run.heredocs] == ["EOF"]
    assert parse("FROM a\nRUN cat <<\ufeff\nCMD x\n").instructions[1].heredocs == []
