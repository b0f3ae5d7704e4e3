"""ShellCheck over RUN scripts: one process per batch, positions mapped back to the file."""

from __future__ import annotations

import subprocess
from typing import Any

import pytest
from rulekit import make_context, run_rule

from codi.rules.base import Severity
from codi.rules.shellcheck import rule as sc_rule
from codi.rules.shellcheck.rule import ShellCheck
from codi.rules.shellcheck.runner import find_shellcheck

pytestmark = pytest.mark.skipif(find_shellcheck() is None, reason="shellcheck binary not installed")


def codes(text: str) -> list[tuple[str, int, int]]:
    return [(f.code, f.line, f.column) for f in run_rule("SC", text)]


def test_finding_on_simple_run_has_code_level_and_position() -> None:
    [f] = run_rule("SC", 'FROM alpine\nRUN echo "$foo"\n')
    assert (f.code, f.name, f.line, f.column) == ("SC2154", "shellcheck", 2, 11)
    assert f.severity is Severity.WARNING


def test_columns_map_into_continued_lines() -> None:
    text = "FROM debian:12\nRUN apt-get update && \\\n    cd /tmp && \\\n    echo $dir\n"
    found = [(c, line, col) for c, line, col in codes(text) if c == "SC2154"]
    assert found == [("SC2154", 4, 10)]


def test_arg_and_env_names_are_declared() -> None:
    text = 'FROM alpine\nARG version\nENV home_dir=/x\nRUN echo "$version" "$home_dir"\n'
    assert codes(text) == []


def test_shell_instruction_sets_dialect_and_unknown_shells_are_skipped() -> None:
    sh = "FROM alpine\nRUN [[ -f /x ]] && echo ok\n"
    assert "SC3010" in [c for c, _, _ in codes(sh)]
    bash = (
        'FROM alpine AS a\nSHELL ["/bin/bash", "-o", "pipefail", "-c"]\nFROM a\nRUN [[ -f /x ]] && echo ok\n'
    )
    assert codes(bash) == []
    pwsh = 'FROM mcr.microsoft.com/windows\nSHELL ["powershell", "-Command"]\nRUN echo $foo\n'
    assert codes(pwsh) == []


def test_exec_form_is_skipped() -> None:
    assert codes('FROM alpine\nRUN ["sh", "-c", "echo $foo"]\n') == []


def test_heredoc_script_lines_map_to_the_body() -> None:
    text = 'FROM alpine\nRUN <<EOF\nset -e\necho "$foo"\nEOF\n'
    assert codes(text) == [("SC2154", 4, 7)]
    # a heredoc with another interpreter's shebang is not shell
    assert codes("FROM alpine\nRUN <<EOF\n#!/usr/bin/env python3\nprint($x)\nEOF\n") == []
    # a heredoc fed to a command: the command line and the body are checked together
    fed = 'FROM alpine\nRUN cat <<EOF > /x && echo "$bar"\nhello $baz\nEOF\n'
    assert sorted(codes(fed)) == [("SC2154", 2, 29), ("SC2154", 3, 7)]


def test_excluded_codes_are_not_reported() -> None:
    text = "FROM alpine\nRUN . /etc/profile.d/x.sh && source $HOME/.env\n"
    assert not {c for c, _, _ in codes(text)} & {"SC1090", "SC1091"}


def test_one_process_for_many_files(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[list[str]] = []
    real_run = subprocess.run

    def counting_run(cmd: list[str], *args: Any, **kwargs: Any) -> Any:
        calls.append(cmd)
        return real_run(cmd, *args, **kwargs)

    monkeypatch.setattr(subprocess, "run", counting_run)
    ctxs = [make_context(f'FROM alpine\nRUN echo "$v{i}"\nRUN echo ok\n') for i in range(30)]
    for i, ctx in enumerate(ctxs):
        ctx.path = f"f{i}/Dockerfile"
    findings = ShellCheck().check_batch(ctxs)
    assert len(calls) == 1
    assert sorted(f.file for f in findings) == sorted(f"f{i}/Dockerfile" for i in range(30))
    assert all(f.line == 2 for f in findings)


def test_missing_binary_logs_and_returns_nothing(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(sc_rule, "find_shellcheck", lambda: None)
    assert run_rule("SC", "FROM alpine\nRUN echo $foo\n") == []
    assert "shellcheck not found" in caplog.text


def test_windows_images_and_local_in_sh() -> None:
    assert codes("FROM mcr.microsoft.com/windows/servercore:ltsc2022\nRUN echo %foo% $bar\n") == []
    assert codes("# escape=`\nFROM mcr.microsoft.com/dotnet/sdk:8.0\nRUN echo $bar\n") == []
    assert codes('FROM debian:12\nRUN f() { local x=1; echo "$x"; } && f\n') == []


def test_quoting_fix_is_mapped_onto_continued_lines() -> None:
    text = "FROM alpine\nARG dir\nRUN mkdir -p \\\n    $dir && ls\n"
    [f] = run_rule("SC", text)
    assert f.code == "SC2086" and f.fix is not None
    assert f.fix.applicability.value == "unsafe"
    new = text
    for e in sorted(f.fix.edits, key=lambda e: e.start, reverse=True):
        new = new[: e.start] + e.replacement + new[e.end :]
    assert new == 'FROM alpine\nARG dir\nRUN mkdir -p \\\n    "$dir" && ls\n'
