"""RuleContext gives rules the shell commands a RUN really runs, heredocs included."""

from __future__ import annotations

from rulekit import make_context


def _argv(text: str) -> list[list[str]]:
    ctx = make_context(text)
    return [c.argv for _, _, script in ctx.runs() for c in script.commands]


def test_heredoc_only_run_reads_the_body_as_the_script() -> None:
    assert _argv("FROM a\nRUN <<EOF\napt-get update\napt-get install -y curl\nEOF\n") == [
        ["apt-get", "update"], ["apt-get", "install", "-y", "curl"]]


def test_heredoc_as_input_is_not_read_as_commands() -> None:
    assert _argv("FROM a\nRUN cat <<EOF > /etc/x && apt-get update\nnot a command\nEOF\n") == [
        ["cat"], ["apt-get", "update"]]


def test_non_shell_shebang_heredoc_has_no_shell_commands() -> None:
    assert _argv("FROM a\nRUN <<EOF\n#!/usr/bin/env python3\nimport os\nEOF\n") == []


def test_exec_form_run_is_not_a_script() -> None:
    assert _argv('FROM a\nRUN ["apt-get", "update"]\n') == []


def test_shell_reading_a_heredoc_runs_the_body() -> None:
    assert _argv("FROM a\nRUN bash -e <<EOF\napk add curl\nEOF\n") == [["apk", "add", "curl"]]
