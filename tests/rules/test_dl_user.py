"""DL rules about USER: DL3002, DL3066."""

from __future__ import annotations

from rulekit import lines


def test_dl3002_final_stage_root() -> None:
    assert lines("DL3002", "FROM debian:12\nUSER root\n") == [2]
    assert lines("DL3002", "FROM debian:12\nUSER 0:0\n") == [2]
    assert lines("DL3002", "FROM debian:12\nUSER app\nUSER root:root\n") == [3]


def test_dl3002_checks_every_stage_as_hadolint_does() -> None:
    text = "FROM debian:12 AS build\nUSER root\nFROM debian:12\nUSER 10001\n"
    assert lines("DL3002", text) == [2]  # hadolint flags the builder stage's last USER too
    assert lines("DL3002", "FROM debian:12\nUSER root\nUSER app\n") == []


def test_dl3002_inherited_through_stage_chain() -> None:
    assert lines("DL3002", "FROM debian:12 AS base\nUSER root\nFROM base\nRUN true\n") == [2]


def test_dl3002_user_via_arg() -> None:
    assert lines("DL3002", "FROM debian:12\nARG U=root\nUSER $U\n") == [3]
    assert lines("DL3002", "FROM debian:12\nARG U=app\nUSER ${U}\n") == []
    assert lines("DL3002", "FROM debian:12\nARG U\nUSER $U\n") == []


def test_dl3066_non_numeric_user() -> None:
    text = "FROM debian:12\nUSER app\nUSER 1000\nUSER 1000:1000\nUSER app:1000\nARG U\nUSER $U\n"
    assert lines("DL3066", text) == [2, 5]
