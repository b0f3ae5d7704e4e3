"""The unsafe fixes of DL3059 (merge consecutive RUNs) and DL4006 (SHELL with pipefail)."""

from __future__ import annotations

import pytest
from rulekit import make_context, run_rule

from codi.parser import parse
from codi.rules.base import Applicability, Finding


def _apply(text: str, finding: Finding) -> str:
    assert finding.fix is not None
    assert finding.fix.applicability is Applicability.UNSAFE
    for edit in sorted(finding.fix.edits, key=lambda e: e.start, reverse=True):
        text = text[: edit.start] + edit.replacement + text[edit.end :]
    return text


def _fixed(code: str, text: str) -> str:
    (finding,) = [f for f in run_rule(code, text) if f.fix is not None]
    return _apply(text, finding)


# --- DL3059 ---------------------------------------------------------------------------------


def test_dl3059_merges_two_runs_keeping_their_text() -> None:
    text = "FROM debian:12\nRUN apt-get update\n\nRUN   echo 'a  b' > /x\nCMD [\"x\"]\n"
    fixed = _fixed("DL3059", text)
    assert fixed == "FROM debian:12\nRUN apt-get update && \\\n    echo 'a  b' > /x\nCMD [\"x\"]\n"
    assert run_rule("DL3059", fixed) == []
    (run,) = [i for i in parse(fixed).instructions if i.keyword == "RUN"]
    assert run.args == ["apt-get update &&     echo 'a  b' > /x"]


def test_dl3059_merge_keeps_crlf_and_flags_and_backtick_escape() -> None:
    text = "# escape=`\r\nFROM debian:12\r\nRUN --network=none a\r\nRUN --network=none b\r\n"
    fixed = _fixed("DL3059", text)
    assert fixed == "# escape=`\r\nFROM debian:12\r\nRUN --network=none a && `\r\n    b\r\n"


def test_dl3059_three_runs_merge_in_one_pass() -> None:
    text = "FROM alpine:3.20\nRUN a\nRUN b\nRUN c\n"
    findings = run_rule("DL3059", text)
    assert [f.line for f in findings] == [3, 4]
    edits = sorted((e for f in findings if f.fix for e in f.fix.edits), key=lambda e: e.start, reverse=True)
    for edit in edits:
        text = text[: edit.start] + edit.replacement + text[edit.end :]
    assert text == "FROM alpine:3.20\nRUN a && \\\n    b && \\\n    c\n"


def test_dl3059_merges_a_multiline_first_run_after_its_last_line() -> None:
    text = "FROM alpine:3.20\nRUN echo \\\n    one\nRUN b\n"
    assert _fixed("DL3059", text) == "FROM alpine:3.20\nRUN echo \\\n    one && \\\n    b\n"


def test_dl3059_merges_a_multiline_second_run_and_keeps_its_lines() -> None:
    text = "FROM debian:12\nRUN apt-get update\nRUN apt-get install -y \\\n      curl\n"
    fixed = _fixed("DL3059", text)
    assert fixed == "FROM debian:12\nRUN apt-get update && \\\n    apt-get install -y \\\n      curl\n"
    (run,) = [i for i in parse(fixed).instructions if i.keyword == "RUN"]
    assert run.args == ["apt-get update &&     apt-get install -y       curl"]


@pytest.mark.parametrize(
    "first",
    ["cd /src", "export A=1", "set -e", ". /etc/profile", "source x.sh", "pushd /x", "umask 077",
     "ulimit -n 1024", "alias ll='ls -l'", "A=1", "f() { echo; }", "exec tool", "echo a # note",
     "sleep 1 &"],
)
def test_dl3059_no_fix_when_the_first_run_changes_shell_state(first: str) -> None:
    findings = run_rule("DL3059", f"FROM alpine:3.20\nRUN {first}\nRUN b\n")
    assert [f.fix for f in findings] == [None] * len(findings)


@pytest.mark.parametrize(
    "text",
    [
        "FROM alpine:3.20\nRUN a\n# why they are split\nRUN b\n",
        "FROM alpine:3.20\nRUN <<EOF\na\nEOF\nRUN b\n",
        "FROM alpine:3.20\nRUN a\nRUN <<EOF\nb\nEOF\n",
        'FROM alpine:3.20\nRUN ["a"]\nRUN b\n',
        'FROM alpine:3.20\nRUN a\nRUN ["b"]\n',
    ],
)
def test_dl3059_no_fix_for_comments_heredocs_and_exec_form(text: str) -> None:
    findings = run_rule("DL3059", text)
    assert findings and all(f.fix is None for f in findings)


def test_dl3059_still_flags_across_a_comment() -> None:
    assert [f.line for f in run_rule("DL3059", "FROM alpine:3.20\nRUN a\n# c\nRUN b\n")] == [4]


def test_dl3059_counts_substitutions_as_one_step_and_test_chains_as_two() -> None:
    assert [f.line for f in run_rule("DL3059", "FROM alpine:3.20\nRUN X=$(pwd) a\nRUN c\n")] == [3]
    assert run_rule("DL3059", "FROM alpine:3.20\nRUN a | b\nRUN c\n") == []
    assert run_rule("DL3059", "FROM alpine:3.20\nRUN [ -e f ] && grep x f\nRUN c\n") == []


# --- DL4006 ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("image", "shell"),
    [
        ("debian:12", '["/bin/bash", "-o", "pipefail", "-c"]'),
        ("python:3.12-slim", '["/bin/bash", "-o", "pipefail", "-c"]'),
        ("node:22", '["/bin/bash", "-o", "pipefail", "-c"]'),
        ("docker.io/library/golang:1.23", '["/bin/bash", "-o", "pipefail", "-c"]'),
        ("mcr.microsoft.com/dotnet/sdk:8.0", '["/bin/bash", "-o", "pipefail", "-c"]'),
        ("alpine:3.20", '["/bin/ash", "-eo", "pipefail", "-c"]'),
        ("python:3.12-alpine", '["/bin/ash", "-eo", "pipefail", "-c"]'),
        ("golang:1.23-alpine3.20@sha256:" + "a" * 64, '["/bin/ash", "-eo", "pipefail", "-c"]'),
    ],
)
def test_dl4006_inserts_shell_for_the_image_family(image: str, shell: str) -> None:
    text = f"FROM {image}\nWORKDIR /app\nRUN curl -fsSL https://x.example/a | tar -xz\n"
    fixed = _fixed("DL4006", text)
    assert fixed == f"FROM {image}\nWORKDIR /app\nSHELL {shell}\nRUN curl -fsSL https://x.example/a | tar -xz\n"
    assert run_rule("DL4006", fixed) == []


@pytest.mark.parametrize(
    "text",
    [
        "FROM gcr.io/distroless/base-debian12\nRUN a | b\n",
        "FROM mycompany/custom:1.0\nRUN a | b\n",
        "FROM busybox:1.36\nRUN a | b\n",
        "FROM scratch\nRUN a | b\n",
        "ARG BASE\nFROM ${BASE}\nRUN a | b\n",
        'FROM debian:12\nSHELL ["/bin/sh", "-c"]\nRUN a | b\n',
        'FROM debian:12\nRUN ["sh", "-c", "a | b"]\n',
    ],
)
def test_dl4006_no_fix_when_the_shell_is_unknown_or_chosen(text: str) -> None:
    findings = run_rule("DL4006", text)
    assert findings and all(f.fix is None for f in findings)


def test_dl4006_one_shell_per_stage_before_the_first_pipe_crlf_kept() -> None:
    text = "FROM ubuntu:24.04\r\nRUN a\r\nRUN b | c\r\nRUN d | e\r\nFROM alpine:3.20 AS x\r\nRUN f | g\r\n"
    findings = run_rule("DL4006", text)
    assert [f.line for f in findings] == [3, 4, 6]
    assert [f.fix is not None for f in findings] == [True, False, True]
    edits = sorted((e for f in findings if f.fix for e in f.fix.edits), key=lambda e: e.start, reverse=True)
    for edit in edits:
        text = text[: edit.start] + edit.replacement + text[edit.end :]
    assert text == (
        'FROM ubuntu:24.04\r\nRUN a\r\nSHELL ["/bin/bash", "-o", "pipefail", "-c"]\r\nRUN b | c\r\nRUN d | e\r\n'
        'FROM alpine:3.20 AS x\r\nSHELL ["/bin/ash", "-eo", "pipefail", "-c"]\r\nRUN f | g\r\n'
    )
    assert run_rule("DL4006", text) == []


def test_dl4006_family_follows_earlier_stages() -> None:
    text = "FROM node:22-alpine AS base\nRUN true\nFROM base\nRUN a | b\n"
    assert _fixed("DL4006", text).splitlines()[3] == 'SHELL ["/bin/ash", "-eo", "pipefail", "-c"]'
    ctx = make_context(text)
    assert len(ctx.model.stages) == 2
