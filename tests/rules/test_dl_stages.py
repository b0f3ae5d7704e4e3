"""DL rules about stages: DL3022, DL3023, DL3024, DL3043, DL3061, DL3063, DL3067."""

from __future__ import annotations

from rulekit import lines


def test_dl3022_later_stage_and_unknown_name() -> None:
    text = (
        "FROM debian:12 AS a\n"
        "COPY --from=b /x /x\n"
        "FROM debian:12 AS b\n"
        "COPY --from=buidl /x /x\n"
        "COPY --from=a /x /x\n"
    )
    assert lines("DL3022", text) == [2, 4]


def test_dl3022_numeric_indexes() -> None:
    text = "FROM debian:12\nFROM debian:12\nCOPY --from=0 /x /x\nCOPY --from=2 /x /x\n"
    assert lines("DL3022", text) == [4]


def test_dl3022_external_images_and_case() -> None:
    text = (
        "FROM golang:1.22 AS Build\n"
        "FROM debian:12\n"
        "COPY --from=nginx:1.27 /etc/nginx /etc/nginx\n"
        "COPY --from=ghcr.io/a/b /x /x\n"
        "COPY --from=build /app /app\n"
        "COPY --from=BUILD /app /app\n"
        "COPY --from=$STAGE /app /app\n"
    )
    assert lines("DL3022", text) == []


def test_dl3023_self_reference_by_name_and_index() -> None:
    text = "FROM debian:12 AS a\nCOPY --from=a /x /y\nFROM debian:12 AS b\nCOPY --from=1 /x /y\nCOPY --from=B /x /y\n"
    assert lines("DL3023", text) == [2, 4, 5]


def test_dl3023_other_stage_is_fine() -> None:
    text = "FROM debian:12 AS a\nFROM debian:12 AS b\nCOPY --from=a /x /y\nCOPY --from=0 /x /y\n"
    assert lines("DL3023", text) == []


def test_dl3024_duplicate_names_any_case() -> None:
    text = "FROM debian:12 AS a\nFROM debian:12 AS b\nFROM debian:12 AS A\n"
    assert lines("DL3024", text) == [3]
    assert lines("DL3024", "FROM debian:12 AS a\nFROM debian:12 AS b\nFROM debian:12\n") == []


def test_dl3063_reserved_stage_names() -> None:
    assert lines("DL3063", "FROM debian:12 AS scratch\nFROM debian:12 AS Context\n") == [1, 2]
    assert lines("DL3063", "FROM debian:12 AS base\nFROM scratch\n") == []


def test_dl3067_whole_filesystem() -> None:
    text = 'FROM debian:12 AS a\nFROM debian:12\nCOPY --from=a / /\nCOPY --from=a ["/", "/"]\n'
    assert lines("DL3067", text) == [3, 4]
    near = "FROM debian:12 AS a\nFROM debian:12\nCOPY --from=a /out /\nCOPY / /\nCOPY --from=a / /x/\n"
    assert lines("DL3067", near) == []


def test_dl3061_instruction_before_from() -> None:
    assert lines("DL3061", "LABEL a=b\nFROM debian:12\n") == [1]
    assert lines("DL3061", "# comment\nARG X=1\nFROM debian:$X\nLABEL a=b\n") == []


def test_dl3043_forbidden_onbuild_triggers() -> None:
    text = "FROM debian:12\nONBUILD FROM x\nONBUILD MAINTAINER me\nONBUILD RUN make\nONBUILD COPY . /src\n"
    assert lines("DL3043", text) == [2, 3]
