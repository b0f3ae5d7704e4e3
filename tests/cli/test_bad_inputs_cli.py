"""Missing and binary inputs: one clear `file[:line]` error each, exit 2, nothing else printed
(no "All checks passed", no raw bytes, no traceback) for lint, fix and parse."""

from __future__ import annotations

from pathlib import Path

import pytest
from lintkit import invoke

import codi.cli.fix_cmd  # noqa: F401  (attaches `fix`)
import codi.cli.parse_cmd  # noqa: F401  (attaches `parse`)
from codi.formats.tty import render
from codi.rules.engine import LintResult

BINARY = b"FROM alpine\n\x00\x01\xff\xfe\x1b[31m red\n"


def _binary(tmp_path: Path) -> Path:
    path = tmp_path / "Dockerfile"
    path.write_bytes(BINARY)
    return path


@pytest.mark.parametrize("command", [["lint"], ["fix"], ["fix", "--diff"], ["lint", "--fix"]])
def test_missing_path_is_one_error(tmp_path: Path, command: list[str]) -> None:
    missing = str(tmp_path / "nope")
    result = invoke(*command, missing)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.strip().splitlines() == [f"codi: error: {missing}: no such file or directory"]


@pytest.mark.parametrize("command", [["lint"], ["fix"], ["fix", "--diff"], ["parse"], ["parse", "--format", "json"]])
def test_binary_file_is_one_error(tmp_path: Path, command: list[str]) -> None:
    path = _binary(tmp_path)
    result = invoke(*command, str(path))
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.strip().splitlines() == [f"codi: error: {path}:2: binary data (a NUL byte), not a Dockerfile"]
    assert path.read_bytes() == BINARY  # fix wrote nothing


def test_binary_stdin_and_machine_formats(tmp_path: Path) -> None:
    result = invoke("lint", "-", input=BINARY.decode("latin-1"))
    assert result.exit_code == 2 and "<stdin>:2: binary data" in result.stderr
    # machine formats keep a valid (empty) document on stdout for CI
    as_json = invoke("lint", "--format", "json", str(_binary(tmp_path)))
    assert as_json.exit_code == 2 and as_json.stdout.strip() == "[]"


def test_good_file_still_linted_next_to_bad_ones(tmp_path: Path) -> None:
    good = tmp_path / "good" / "Dockerfile"
    good.parent.mkdir()
    good.write_text("FROM alpine:3.20\nUSER 1000\nCMD [\"true\"]\n")
    result = invoke("lint", str(good), str(_binary(tmp_path)), str(tmp_path / "nope"))
    assert result.exit_code == 2
    assert "All checks passed (1 file linted)." in result.stdout
    assert "binary data" in result.stderr and "no such file or directory" in result.stderr


def test_parse_missing_file() -> None:
    result = invoke("parse", "/nonexistent/Dockerfile")
    assert result.exit_code == 2 and result.stdout == ""
    assert "codi: error: /nonexistent/Dockerfile:" in result.stderr and "Traceback" not in result.output


def test_tty_shows_control_characters_escaped(tmp_path: Path) -> None:
    path = tmp_path / "Dockerfile"
    path.write_text("FROM alpine\x1b]0;title\x07\x1b[31m\n")
    result = invoke("lint", "--select", "DL3006", str(path))
    assert result.exit_code == 1
    assert "\x1b" not in result.stdout and "\x07" not in result.stdout
    assert "FROM alpine\\x1b]0;title\\x07\\x1b[31m" in result.stdout
    assert "\x1b" not in render(LintResult(), color=False)
