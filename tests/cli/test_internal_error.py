"""A bug inside a command reaches the user as one line and exit 3, never as a traceback."""

from __future__ import annotations

import sys

import pytest

import codi.cli.main as cli_main


def _boom(*args: object, **kwargs: object) -> None:
    raise RuntimeError("something broke")


def test_internal_error_is_one_line_and_exit_3(monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("CODI_DEBUG", raising=False)
    monkeypatch.setattr("codi.llm.airgap.install", lambda: None)  # keep this test process's sockets as they are
    monkeypatch.setattr(cli_main, "app", _boom)
    monkeypatch.setattr(sys, "argv", ["codi", "version"])
    with pytest.raises(SystemExit) as exit_info:
        cli_main.main()
    assert exit_info.value.code == 3
    err = capsys.readouterr().err
    assert "internal error: RuntimeError: something broke" in err
    assert "Traceback" not in err and err.count("\n") == 1


def test_codi_debug_shows_the_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CODI_DEBUG", "1")
    monkeypatch.setattr("codi.llm.airgap.install", lambda: None)
    monkeypatch.setattr(cli_main, "app", _boom)
    with pytest.raises(RuntimeError):
        cli_main.main()
