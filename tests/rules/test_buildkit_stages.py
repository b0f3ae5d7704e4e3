"""BuildKit checks on stage names and instruction casing (BK001-BK006, BK008)."""

from __future__ import annotations

from rulekit import lines, run_rule


def apply(text: str, code: str) -> str:
    edits = [e for f in run_rule(code, text) if f.fix for e in f.fix.edits]
    for e in sorted(edits, key=lambda e: e.start, reverse=True):
        text = text[: e.start] + e.replacement + text[e.end :]
    return text


def test_stage_name_casing_fires_with_message_and_fix() -> None:
    text = "FROM alpine AS Builder\nRUN true\n"
    [f] = run_rule("StageNameCasing", text)
    assert (f.code, f.line, f.message) == ("BK001", 1, "Stage name 'Builder' should be lowercase")
    assert apply(text, "BK001") == "FROM alpine AS builder\nRUN true\n"


def test_stage_name_casing_near_miss() -> None:
    assert lines("BK001", "FROM alpine AS builder\nFROM Alpine\n") == []


def test_from_as_casing() -> None:
    text = "FROM alpine as build\nfrom alpine AS test\nFROM alpine AS ok\nFrom alpine as mixed\n"
    assert lines("FromAsCasing", text) == [1, 2]
    assert run_rule("BK002", text)[0].message == "'as' and 'FROM' keywords' casing do not match"
    assert apply(text, "BK002").splitlines()[:2] == ["FROM alpine AS build", "from alpine as test"]


def test_duplicate_stage_name_is_case_insensitive() -> None:
    text = "FROM alpine AS base\nFROM alpine AS other\nFROM debian AS BASE\n"
    [f] = run_rule("DuplicateStageName", text)
    assert f.line == 3
    assert f.message == 'Duplicate stage name "base", stage names should be unique'
    assert lines("BK005", "FROM alpine AS a\nFROM alpine AS b\n") == []


def test_reserved_stage_name() -> None:
    assert lines("ReservedStageName", "FROM alpine AS scratch\nFROM alpine AS Context\n") == [1, 2]
    assert lines("BK006", "FROM scratch AS base\nFROM alpine AS scratchpad\n") == []


def test_consistent_instruction_casing_majority_and_fix() -> None:
    text = "FROM alpine\nRUN a\nrun b\nCmd c\n"
    found = run_rule("ConsistentInstructionCasing", text)
    assert [f.line for f in found] == [3, 4]
    assert found[0].message == "Command 'run' should match the case of the command majority (uppercase)"
    assert apply(text, "BK004") == "FROM alpine\nRUN a\nRUN b\nCMD c\n"


def test_consistent_instruction_casing_lower_majority_and_tie() -> None:
    assert lines("BK004", "from alpine\nrun a\nRUN b\n") == [3]
    # a tie goes to uppercase, as in BuildKit
    assert lines("BK004", "from alpine\nRUN b\n") == [1]
    # global ARGs before FROM are not checked
    assert lines("BK004", "arg V=1\nFROM alpine\nRUN a\n") == []


def test_maintainer_deprecated() -> None:
    [f] = run_rule("MaintainerDeprecated", "FROM alpine\nMAINTAINER me <me@x.org>\n")
    assert (f.code, f.line) == ("BK008", 2)
    assert lines("BK008", "FROM alpine\nLABEL maintainer=me\n") == []
