"""The tty snippet quotes the source exactly: continued lines with one backslash, the lines of the
finding (not only the first), a caret under the columns; `--format concise` is one line each."""

from __future__ import annotations

from pathlib import Path

from lintkit import invoke, project

CONTINUED = "FROM ubuntu:24.04\nRUN apt-get update && \\\n    apt-get install -y curl && \\\n    echo $FOO\n"
HEREDOC = "FROM alpine:3.20\nRUN <<EOF\nset -e\necho hi\necho $BAR\nEOF\n"


def _lint(tmp_path: Path, text: str, *args: str) -> str:
    root = project(tmp_path, {"Dockerfile": text})
    return invoke("lint", "--no-color", *args, str(root / "Dockerfile")).stdout


def test_continued_run_is_quoted_verbatim(tmp_path: Path) -> None:
    out = _lint(tmp_path, CONTINUED, "--select", "DL3008")
    assert "    2 | RUN apt-get update && \\\n" in out
    assert "\\\\" not in out
    assert "    3 |     apt-get install -y curl && \\\n" in out and "    4 |     echo $FOO\n" in out


def test_finding_deep_in_a_heredoc_shows_its_own_line_and_a_caret(tmp_path: Path) -> None:
    out = _lint(tmp_path, HEREDOC, "--select", "SC2086")
    lines = out.splitlines()
    at = lines.index("    5 | echo $BAR")
    assert lines[at - 1].endswith(":5:6 SC2086 [info] Double quote to prevent globbing and word splitting.")
    assert lines[at + 1] == "      |      ^^^^"


def test_caret_lines_up_after_tabs(tmp_path: Path) -> None:
    out = _lint(tmp_path, "FROM alpine:3.20\nRUN true \\\n\t&& echo $X\n", "--select", "SC2086")
    lines = out.splitlines()
    source = next(line for line in lines if line.startswith("    3 | "))
    caret = lines[lines.index(source) + 1]
    assert caret.index("^") == source.index("$X") and caret.endswith("^^")


def test_long_instruction_is_cut_with_a_count(tmp_path: Path) -> None:
    text = "FROM ubuntu:24.04\nRUN apt-get update \\\n" + "".join(f" && echo {i} \\\n" for i in range(8)) + " && true\n"
    out = _lint(tmp_path, text.replace("apt-get update", "apt-get install -y curl"), "--select", "DL3008")
    assert "... (6 more lines)" in out


def test_concise_is_one_line_per_finding(tmp_path: Path) -> None:
    out = _lint(tmp_path, CONTINUED, "--format", "concise", "--select", "DL3008,SC2086", "-q")
    assert out.splitlines() == [
        f"{tmp_path / 'Dockerfile'}:2:1: DL3008 [warning] Pin versions in apt-get install (curl): use "
        "`apt-get install <package>=<version>`",
        f"{tmp_path / 'Dockerfile'}:4:10: SC2086 [info] Double quote to prevent globbing and word splitting.",
    ]
