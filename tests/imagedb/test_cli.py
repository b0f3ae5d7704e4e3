"""`codi bases show IMAGE[:TAG] [--json]`."""

from __future__ import annotations

import json

from typer.testing import CliRunner

import codi.cli.build_cmds  # noqa: F401  (attaches `bases` to the app)
from codi.cli.app import app


def show(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["bases", "show", *args])
    return result.exit_code, result.output


def test_show_text() -> None:
    code, out = show("python:3.12-slim")
    assert code == 0
    assert "family python" in out and 'cmd          ["python3"]' in out
    assert "entrypoint   (not set)" in out and "runtime      python 3.12" in out
    assert "~130 MB (approx." in out and "PYTHON_VERSION=(depends on the exact tag)" in out
    assert "docker-library/python 3.12/slim-trixie/Dockerfile @ " in out


def test_show_nginx_ports_signal_and_user() -> None:
    code, out = show("nginxinc/nginx-unprivileged:stable-alpine")
    assert code == 0
    assert "ports        8080/tcp" in out and "stopsignal   SIGQUIT" in out and "user         101" in out
    assert "os family    alpine (musl)" in out


def test_show_json() -> None:
    code, out = show("gcr.io/distroless/static-debian12:nonroot", "--json")
    assert code == 0
    data = json.loads(out)
    assert data["known"] is True and data["user"] == "65532" and data["workdir"] == "/home/nonroot"
    assert data["os_family"] == "distroless" and data["size_mb_approx"] is not None
    assert data["sources"][0]["repository"] == "GoogleContainerTools/distroless" and data["sources"][0]["commit"]


def test_show_unknown_exits_1() -> None:
    code, out = show("example.com/acme/app:1")
    assert code == 1
    assert out.strip() == "unknown: CODI has no facts about example.com/acme/app:1"
    code, out = show("acme/app", "--json")
    assert code == 1 and json.loads(out)["known"] is False


def test_show_help() -> None:
    result = CliRunner().invoke(app, ["bases", "show", "--help"])
    assert result.exit_code == 0 and "--json" in result.output
