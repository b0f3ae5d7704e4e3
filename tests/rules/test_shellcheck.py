"""ShellCheck over RUN scripts: one process per batch, positions mapped back to the file."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
from rulekit import make_context, run_rule

from codi.rules.base import Severity
from codi.rules.shellcheck import cache as sc_cache
from codi.rules.shellcheck import rule as sc_rule
from codi.rules.shellcheck import runner as sc_runner
from codi.rules.shellcheck.rule import ShellCheck
from codi.rules.shellcheck.runner import find_shellcheck

pytestmark = pytest.mark.skipif(find_shellcheck() is None, reason="shellcheck binary not installed")


@pytest.fixture(autouse=True)
def own_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A fresh result cache per test: results cached by earlier runs must not hide a run."""
    monkeypatch.setenv("CODI_CACHE_DIR", str(tmp_path / "cache"))
    sc_cache.MEMORY.clear()


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
    assert codes(fed) == [("SC2154", 2, 29)]  # once per RUN, as hadolint; the message counts them
    (found,) = run_rule("SC", fed)
    assert found.message.endswith("(2 times in this RUN)")


def test_excluded_codes_are_not_reported() -> None:
    text = "FROM alpine\nRUN . /etc/profile.d/x.sh && source $HOME/.env\n"
    assert not {c for c, _, _ in codes(text)} & {"SC1090", "SC1091"}


def test_one_process_per_chunk_at_most_one_per_cpu(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[list[str]] = []
    real_run = subprocess.run

    def counting_run(cmd: list[str], *args: Any, **kwargs: Any) -> Any:
        if "--version" not in cmd:
            calls.append(cmd)
        return real_run(cmd, *args, **kwargs)

    monkeypatch.setattr(subprocess, "run", counting_run)
    ctxs = [make_context(f'FROM alpine\nRUN echo "$v{i}"\nRUN echo ok\n') for i in range(30)]
    for i, ctx in enumerate(ctxs):
        ctx.path = f"f{i}/Dockerfile"
    expected = sorted(f"f{i}/Dockerfile" for i in range(30))
    monkeypatch.setattr(sc_runner, "cpu_count", lambda: 1)
    with sc_cache.disabled():
        one_cpu = ShellCheck().check_batch(ctxs)
    assert len(calls) == 1  # 31 distinct scripts (`echo ok` is checked once), one batch
    assert sum(arg.endswith(".sh") for arg in calls[0]) == 31
    assert sorted(f.file for f in one_cpu) == expected and all(f.line == 2 for f in one_cpu)

    calls.clear()
    monkeypatch.setattr(sc_runner, "cpu_count", lambda: 3)
    with sc_cache.disabled():
        three_cpus = ShellCheck().check_batch(ctxs)
    assert len(calls) == 3  # concurrent chunks, every script in exactly one of them
    assert sorted(a for c in calls for a in c if a.endswith(".sh")) == sorted(f"{n}.sh" for n in range(31))
    assert three_cpus == one_cpu  # same findings, same order


def test_chunks_are_balanced_deterministic_and_not_too_small() -> None:
    sizes = [5000, 10, 10, 10, 3000, 2000] + [100] * 30
    chunks = sc_runner.plan_chunks(sizes, 4)
    assert chunks == sc_runner.plan_chunks(sizes, 4)
    assert len(chunks) == 4 and sorted(i for c in chunks for i in c) == list(range(len(sizes)))
    loads = [sum(sizes[i] + 200 for i in c) for c in chunks]
    assert max(loads) <= 5000 + 200 + 1000  # the largest script alone sets the floor
    assert sc_runner.plan_chunks([10] * 7, 16) == [list(range(7))]  # too few for a second process
    assert len(sc_runner.plan_chunks([10] * 100, 16)) == 12
    assert sc_runner.plan_chunks([], 4) == []


def test_missing_binary_is_an_error_not_a_pass(monkeypatch: pytest.MonkeyPatch) -> None:
    # Fail closed: "no SC findings" from a ShellCheck that never ran would read as clean scripts.
    monkeypatch.setattr(sc_rule, "find_shellcheck", lambda: None)
    with pytest.raises(RuntimeError, match="shellcheck not found"):
        run_rule("SC", "FROM alpine\nRUN echo $foo\n")
    assert run_rule("SC", "FROM alpine\nRUN [\"echo\", \"exec form\"]\n") == []  # no script: nothing to run


def test_windows_images_and_local_in_sh() -> None:
    assert codes("FROM mcr.microsoft.com/windows/servercore:ltsc2022\nRUN echo %foo% $bar\n") == []
    assert codes("# escape=`\nFROM mcr.microsoft.com/dotnet/sdk:8.0\nRUN echo $bar\n") == []
    assert codes('FROM debian:12\nRUN f() { local x=1; echo "$x"; } && f\n') == []


def test_quoting_fix_is_mapped_onto_continued_lines() -> None:
    text = "FROM alpine\nRUN mkdir -p \\\n    $DIR && ls\n"
    [f] = run_rule("SC", text)
    assert f.code == "SC2086" and f.fix is not None
    assert f.fix.applicability.value == "unsafe"
    new = text
    for e in sorted(f.fix.edits, key=lambda e: e.start, reverse=True):
        new = new[: e.start] + e.replacement + new[e.end :]
    assert new == 'FROM alpine\nRUN mkdir -p \\\n    "$DIR" && ls\n'


def test_declared_names_are_not_asked_to_be_quoted_as_in_hadolint() -> None:
    # issue 22: hadolint's ShellCheck pass takes ARG/ENV names as set: no SC2086 for them
    assert codes("FROM alpine\nARG FOO\nENV BAR=\"a b\"\nRUN echo $FOO $BAR\n") == []
    assert [c for c, _, _ in codes("FROM alpine\nRUN echo $OTHER\n")] == ["SC2086"]


def test_one_finding_per_code_and_run_with_every_fix() -> None:
    text = "FROM alpine\nRUN echo $A $B && \\\n    echo $C\n"
    (found,) = run_rule("SC", text)
    assert (found.code, found.line, found.column) == ("SC2086", 2, 10)
    assert found.message.endswith("(3 times in this RUN)")
    assert found.fix is not None and len(found.fix.edits) >= 3
    new = text
    for e in sorted(found.fix.edits, key=lambda e: e.start, reverse=True):
        new = new[: e.start] + e.replacement + new[e.end :]
    assert new == 'FROM alpine\nRUN echo "$A" "$B" && \\\n    echo "$C"\n'
