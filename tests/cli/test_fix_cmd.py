"""`codi fix` / `--diff` end to end on real files."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from typer.testing import CliRunner

import codi.cli.fix_cmd  # noqa: F401  (registers the command)
from codi.cli.app import app

runner = CliRunner()
SMELLY = "FROM python:3.12\r\nMAINTAINER me@example.com\r\nENV PORT 8000\r\nRUN pip install flask==3.0.0\r\nCMD python app.py\r\n"


def test_diff_writes_nothing_and_exits_1(tmp_path: Path) -> None:
    path = tmp_path / "Dockerfile"
    path.write_bytes(SMELLY.encode())
    result = runner.invoke(app, ["fix", "--diff", str(path)])
    assert result.exit_code == 1
    assert "-MAINTAINER me@example.com" in result.output and '+LABEL maintainer="me@example.com"' in result.output
    assert path.read_bytes() == SMELLY.encode()


def test_fix_writes_atomically_keeps_crlf_and_mode_then_nothing_left_to_fix(tmp_path: Path) -> None:
    path = tmp_path / "Dockerfile"
    path.write_bytes(SMELLY.encode())
    os.chmod(path, 0o640)
    result = runner.invoke(app, ["fix", str(path), "--format", "json"])
    fixed = path.read_bytes().decode()
    assert "LABEL maintainer" in fixed and "ENV PORT=8000" in fixed and "--no-cache-dir" in fixed
    assert fixed.count("\r\n") == fixed.count("\n")
    assert "CMD python app.py" in fixed  # exec form is an unsafe fix
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert result.exit_code == 1  # findings are left (e.g. the shell-form CMD)
    again = runner.invoke(app, ["fix", "--diff", str(path)])
    assert again.exit_code == 0 and again.output.count("@@") == 0
    unsafe = runner.invoke(app, ["fix", "--unsafe-fixes", str(path)])
    assert 'CMD ["python", "app.py"]' in path.read_text() and unsafe.exit_code in (0, 1)


def test_fix_respects_selection(tmp_path: Path) -> None:
    path = tmp_path / "Dockerfile"
    path.write_bytes(SMELLY.encode())
    runner.invoke(app, ["fix", str(path), "--select", "DL4000"])
    text = path.read_text()
    assert "LABEL maintainer" in text and "ENV PORT 8000" in text


def test_fix_refuses_stdin_and_bad_paths(tmp_path: Path) -> None:
    assert runner.invoke(app, ["fix", "-"]).exit_code == 2
    missing = runner.invoke(app, ["fix", str(tmp_path / "nope")])
    assert missing.exit_code == 2 and "no such file" in missing.output
