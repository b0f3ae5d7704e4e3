"""The fix loop: verified fixes only, dropped ones reported, idempotent, nothing half-applied."""

from __future__ import annotations

from codi.fix.apply import fix_text
from codi.parser import parse
from codi.rules.base import Applicability, Edit, Finding, Fix, Severity


def _finding(code: str, text: str, needle: str, replacement: str, how: Applicability) -> Finding:
    start = text.index(needle)
    fix = Fix(f"replace {needle!r}", how, [Edit(start, start + len(needle), replacement)])
    line = text.count("\n", 0, start) + 1
    return Finding(code, code.lower(), Severity.WARNING, "m", "Dockerfile", line, 1, line, 2, fix)


def make_lint(rules: list[tuple[str, str, str, Applicability]]):  # type: ignore[no-untyped-def]
    """A fake lint: each (code, needle, replacement, applicability) fires while needle is in the text."""

    def lint(text: str) -> list[Finding]:
        return [_finding(code, text, needle, rep, how) for code, needle, rep, how in rules if needle in text]

    return lint


TEXT = "FROM a\r\nMAINTAINER me\r\nRUN apt-get install x\r\nCMD run\r\n"


def test_safe_fixes_apply_and_keep_crlf() -> None:
    lint = make_lint([("X1", "MAINTAINER me", 'LABEL maintainer="me"', Applicability.SAFE),
                      ("X2", "install x", "install -y x", Applicability.SAFE)])
    out = fix_text(TEXT, "Dockerfile", lint)
    assert out.fixed == 'FROM a\r\nLABEL maintainer="me"\r\nRUN apt-get install -y x\r\nCMD run\r\n'
    assert [a.code for a in out.applied] == ["X1", "X2"] and not out.dropped
    assert fix_text(out.fixed, "Dockerfile", lint).changed is False  # idempotent


def test_unsafe_fixes_need_the_flag_and_display_fixes_never_apply() -> None:
    lint = make_lint([("X3", "CMD run", 'CMD ["run"]', Applicability.UNSAFE),
                      ("X4", "FROM a", "FROM b", Applicability.DISPLAY)])
    assert not fix_text(TEXT, "Dockerfile", lint).changed
    out = fix_text(TEXT, "Dockerfile", lint, unsafe=True)
    assert 'CMD ["run"]' in out.fixed and "FROM a" in out.fixed


def test_fix_that_breaks_the_file_is_dropped_and_reported() -> None:
    lint = make_lint([("BAD", "FROM a", "FRM a", Applicability.SAFE),
                      ("OK", "install x", "install -y x", Applicability.SAFE)])
    out = fix_text(TEXT, "Dockerfile", lint)
    assert "FROM a" in out.fixed and "install -y x" in out.fixed
    assert [(d.code, "parse" in d.reason) for d in out.dropped] == [("BAD", True)]
    parse(out.fixed)


def test_fix_that_changes_the_command_or_ports_is_dropped() -> None:
    text = "FROM a\nEXPOSE 80\nCMD run\n"
    lint = make_lint([("P", "EXPOSE 80", "EXPOSE 81", Applicability.SAFE),
                      ("C", "CMD run", "CMD walk", Applicability.SAFE)])
    out = fix_text(text, "Dockerfile", lint)
    assert not out.changed
    assert sorted(d.reason for d in out.dropped) == ["the exposed ports changed", "the final CMD/ENTRYPOINT changed"]


def test_fix_that_adds_a_finding_is_dropped() -> None:
    rules = [("A", "RUN x", "RUN y", Applicability.SAFE), ("NEW", "RUN y", "RUN y", Applicability.DISPLAY)]
    out = fix_text("FROM a\nRUN x\n", "Dockerfile", make_lint(rules))
    assert not out.changed and "NEW" in out.dropped[0].reason


def test_fixes_that_never_converge_are_all_dropped() -> None:
    # each round re-adds what the other removes: no stable result, so nothing is kept
    rules = [("F", "RUN x", "RUN xx", Applicability.SAFE)]
    out = fix_text("FROM a\nRUN x\n", "Dockerfile", make_lint(rules))
    assert not out.changed and out.dropped and out.dropped[-1].reason == "not idempotent"
