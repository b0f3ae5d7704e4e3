"""DL rules about CMD/ENTRYPOINT/HEALTHCHECK: DL3012, DL3025, DL3057, DL4003, DL4004."""

from __future__ import annotations

from rulekit import lines, run_rule

from codi.rules.base import Applicability


def test_dl3025_shell_form_fires() -> None:
    text = 'FROM debian:12\nCMD node server.js\nENTRYPOINT ["/init"]\nENTRYPOINT /init --x\n'
    assert lines("DL3025", text) == [2, 4]


def test_dl3025_exec_form_healthcheck_and_onbuild_are_fine() -> None:
    text = 'FROM debian:12\nCMD ["node", "server.js"]\nHEALTHCHECK CMD curl -f http://x/\nONBUILD CMD make\n'
    assert lines("DL3025", text) == []


def test_dl3025_fix_for_plain_words_only() -> None:
    text = "FROM debian:12\nCMD node  server.js --port 8080   \n"
    (finding,) = run_rule("DL3025", text)
    assert finding.fix is not None and finding.fix.applicability is Applicability.UNSAFE
    (edit,) = finding.fix.edits
    fixed = text[: edit.start] + edit.replacement + text[edit.end :]
    assert fixed == 'FROM debian:12\nCMD ["node", "server.js", "--port", "8080"]   \n'


def test_dl3025_no_fix_with_shell_syntax() -> None:
    text = (
        'FROM debian:12\nCMD exec node $APP\nCMD node a.js && echo done\nCMD echo "hi"\nCMD PORT=1 node a\n'
    )
    findings = run_rule("DL3025", text)
    assert [f.line for f in findings] == [2, 3, 4, 5]
    assert all(f.fix is None for f in findings)


def test_dl4003_multiple_cmd_per_stage() -> None:
    text = 'FROM debian:12\nCMD ["a"]\nCMD ["b"]\nFROM debian:12\nCMD ["c"]\n'
    assert lines("DL4003", text) == [3]


def test_dl4004_multiple_entrypoint_per_stage() -> None:
    text = 'FROM debian:12\nENTRYPOINT ["a"]\nENTRYPOINT ["b"]\nENTRYPOINT ["c"]\nFROM debian:12\nENTRYPOINT ["d"]\n'
    assert lines("DL4004", text) == [3, 4]
    assert lines("DL4004", 'FROM debian:12\nENTRYPOINT ["a"]\nCMD ["b"]\n') == []


def test_dl3012_multiple_healthcheck() -> None:
    text = "FROM debian:12\nHEALTHCHECK CMD x\nHEALTHCHECK NONE\nFROM debian:12\nHEALTHCHECK CMD y\n"
    assert lines("DL3012", text) == [3]


def test_dl3057_missing_healthcheck_final_stage_only() -> None:
    assert lines("DL3057", 'FROM golang:1.22 AS build\nFROM debian:12\nCMD ["a"]\n') == [2]
    inherited = "FROM debian:12 AS base\nHEALTHCHECK CMD true\nFROM base\n"
    assert lines("DL3057", inherited) == []


def test_dl3057_is_off_by_default() -> None:
    from codi.rules.registry import get_rule

    rule = get_rule("DL3057")
    assert rule is not None and rule.enabled_by_default is False


def _apply(code: str, text: str) -> str:
    edits = sorted((e for f in run_rule(code, text) if f.fix for e in f.fix.edits), key=lambda e: -e.start)
    for edit in edits:
        text = text[: edit.start] + edit.replacement + text[edit.end :]
    return text


def test_duplicates_fix_removes_the_overridden_ones() -> None:
    text = 'FROM debian:12\nCMD ["a"]\n# keep\nENTRYPOINT ["e"]\nCMD ["b"]\nCMD ["c"]\n'
    assert _apply("DL4003", text) == 'FROM debian:12\n# keep\nENTRYPOINT ["e"]\nCMD ["c"]\n'
    hc = "FROM debian:12\nHEALTHCHECK CMD x\nHEALTHCHECK NONE\n"
    assert _apply("DL3012", hc) == "FROM debian:12\nHEALTHCHECK NONE\n"
    ep = 'FROM debian:12\nENTRYPOINT ["a"]\nENTRYPOINT ["b"]\n'
    assert _apply("DL4004", ep) == 'FROM debian:12\nENTRYPOINT ["b"]\n'
