"""BuildKit checks on single instructions (BK003, BK007, BK010, BK012, BK021, BK022)."""

from __future__ import annotations

from rulekit import lines, run_rule
from test_buildkit_stages import apply


def test_no_empty_continuation_points_at_the_instructions_last_line_and_fix_removes_it() -> None:
    text = "FROM alpine\nRUN apk add \\\n\n    curl \\\n   \n    git\nRUN ok\n"
    [f] = run_rule("NoEmptyContinuation", text)
    # BuildKit's parser warns when the logical line is complete: on its last line (6)
    assert (f.code, f.line, f.message) == ("BK003", 6, "Empty continuation line")
    assert apply(text, "BK003") == "FROM alpine\nRUN apk add \\\n    curl \\\n    git\nRUN ok\n"


def test_no_empty_continuation_near_misses() -> None:
    # comment lines inside a continuation, blank lines between instructions, heredoc bodies
    text = "FROM alpine\nRUN a \\\n# note\n    b\n\nRUN <<EOF\necho 1\n\necho 2\nEOF\n"
    assert lines("BK003", text) == []


def test_json_args_recommended() -> None:
    text = 'FROM alpine\nCMD node server.js\nENTRYPOINT ["tini"]\n'
    [f] = run_rule("JSONArgsRecommended", text)
    assert f.line == 2
    assert (
        f.message == "JSON arguments recommended for CMD to prevent unintended behavior related to OS signals"
    )
    assert f.fix is not None and f.fix.applicability.value == "unsafe"
    assert apply(text, "BK007").splitlines()[1] == 'CMD ["node", "server.js"]'


def test_json_args_no_fix_for_shell_syntax_and_silent_after_shell() -> None:
    [f] = run_rule("BK007", "FROM alpine\nENTRYPOINT exec app --port $PORT\n")
    assert f.fix is None
    text = 'FROM alpine AS a\nSHELL ["/bin/bash", "-c"]\nFROM a\nCMD echo hi\n'
    assert lines("BK007", text) == []


def test_workdir_relative_path() -> None:
    text = "FROM alpine\nWORKDIR app\nWORKDIR sub\nFROM alpine\nWORKDIR /srv\nWORKDIR rel\n"
    [f] = run_rule("WorkdirRelativePath", text)
    assert f.line == 2
    assert f.message == 'Relative workdir "app" can have unexpected results if the base image changes'


def test_workdir_near_misses_quotes_variables_and_parent_stage() -> None:
    text = (
        'FROM alpine AS base\nWORKDIR "/opt/app"\nFROM base\nWORKDIR sub\n'
        'FROM alpine\nENV D=/data\nWORKDIR $D\nFROM alpine\nWORKDIR "${HOME}"\n'
    )
    assert lines("BK010", text) == []


def test_multiple_instructions_disallowed_reports_the_ignored_one() -> None:
    text = 'FROM alpine\nCMD a\nHEALTHCHECK CMD true\nCMD b\nENTRYPOINT ["x"]\nFROM alpine\nCMD c\n'
    [f] = run_rule("MultipleInstructionsDisallowed", text)
    assert f.line == 2
    assert f.message == (
        "Multiple CMD instructions should not be used in the same stage because only the last one will be used"
    )


def test_expose_proto_casing_and_fix() -> None:
    text = "FROM alpine\nEXPOSE 80/TCP 443/tcp 53\n"
    [f] = run_rule("ExposeProtoCasing", text)
    assert (f.line, f.message) == (2, "Defined protocol '80/TCP' in EXPOSE instruction should be lowercase")
    assert apply(text, "BK021") == "FROM alpine\nEXPOSE 80/tcp 443/tcp 53\n"
    assert lines("BK021", "FROM alpine\nEXPOSE 80/udp\n") == []


def test_expose_invalid_format() -> None:
    text = "FROM alpine\nEXPOSE 80\nEXPOSE 127.0.0.1:80:80\nEXPOSE 8080:80/udp\n"
    found = run_rule("ExposeInvalidFormat", text)
    assert [f.line for f in found] == [3, 4]
    assert found[0].message == (
        "EXPOSE instruction should not define an IP address or host-port mapping, found '127.0.0.1:80:80'"
    )
