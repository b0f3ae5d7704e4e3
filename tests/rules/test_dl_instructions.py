"""DL rules about single instructions: DL3000, DL3011, DL3059, DL4000."""

from __future__ import annotations

from rulekit import lines, run_rule

from codi.rules.base import Applicability


def test_dl3000_relative_workdir() -> None:
    text = 'FROM debian:12\nWORKDIR app\nWORKDIR /app\nWORKDIR "/x y"\nWORKDIR C:\\\\app\n'
    assert lines("DL3000", text) == [2]


def test_dl3000_variables() -> None:
    text = "FROM debian:12\nENV APP=/srv/app\nWORKDIR $APP\nWORKDIR $HOME/x\nARG REL=rel\nWORKDIR ${REL}\n"
    assert lines("DL3000", text) == [6]


def test_dl3011_port_range() -> None:
    text = "FROM debian:12\nEXPOSE 80 443/tcp\nEXPOSE 65536/udp\nEXPOSE 60000-70000\nEXPOSE 0 65535\n"
    assert lines("DL3011", text) == [3, 4]


def test_dl3011_port_from_arg() -> None:
    assert lines("DL3011", "FROM debian:12\nARG P=99999\nEXPOSE $P\n") == [3]
    assert lines("DL3011", "FROM debian:12\nARG P\nEXPOSE $P\n") == []


def test_dl4000_maintainer_with_safe_fix() -> None:
    text = 'FROM debian:12\nMAINTAINER Jane "JD" Doe <jane@example.com> $5\n'
    (finding,) = run_rule("DL4000", text)
    assert finding.line == 2
    assert finding.fix is not None and finding.fix.applicability is Applicability.SAFE
    (edit,) = finding.fix.edits
    fixed = text[: edit.start] + edit.replacement + text[edit.end :]
    assert fixed == 'FROM debian:12\nLABEL maintainer="Jane \\"JD\\" Doe <jane@example.com> \\$5"\n'


def test_dl4000_fix_reads_back_as_same_label_value() -> None:
    from rulekit import make_context

    from codi.rules.dl.kvpairs import env_label_pairs, resolve

    text = 'FROM debian:12\nmaintainer a\\b "c" $d\n'
    (finding,) = run_rule("DL4000", text)
    assert finding.fix is not None
    (edit,) = finding.fix.edits
    fixed = text[: edit.start] + edit.replacement + text[edit.end :]
    ctx = make_context(fixed)
    (label,) = list(ctx.instructions("LABEL"))
    (pair,) = env_label_pairs(label)
    assert resolve(pair.value_raw, {}) == 'a\\b "c" $d'


def test_dl4000_no_maintainer() -> None:
    assert lines("DL4000", 'FROM debian:12\nLABEL maintainer="x"\n') == []


def test_dl3059_consecutive_runs_across_comments() -> None:
    text = "FROM debian:12\nRUN a\nRUN b\n# why\n\nRUN c\nENV X=1\nRUN d\n"
    assert lines("DL3059", text) == [3, 6]


def test_dl3059_different_flags_or_stages() -> None:
    text = (
        "FROM debian:12\n"
        "RUN a\n"
        "RUN --mount=type=cache,target=/root/.cache b\n"
        "RUN --network=none c\n"
        "FROM debian:12\n"
        "RUN d\n"
    )
    assert lines("DL3059", text) == []


def test_dl3059_long_chains_are_deliberate() -> None:
    text = "FROM debian:12\nRUN a && b && c\nRUN d\nRUN e\n"
    assert lines("DL3059", text) == [4]
    assert lines("DL3059", "FROM debian:12\nRUN a\nRUN b && c\nRUN d | e\n") == []
