"""`codi serve` as a user starts it: refusal on an open bind, then a real server on loopback."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from apikit import KEY
from proctools import stop, wait_healthy


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("CODI_API_KEY", "CODI_ALLOWED_ROOTS")}
    env.update(extra)
    return env


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_refuses_open_bind_without_key(tmp_path: Path) -> None:
    r = subprocess.run([sys.executable, "-m", "codi", "serve", "--host", "0.0.0.0", "--port", "1"],
                       capture_output=True, text=True, env=_env(), cwd=tmp_path, timeout=60)
    assert r.returncode == 2
    assert "CODI_API_KEY" in r.stderr and "--insecure" in r.stderr
    assert "Traceback" not in r.stderr


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    port = _free_port()
    (tmp_path / "proj").mkdir()
    (tmp_path / "proj" / "Dockerfile").write_text("FROM alpine:3.20\nCMD [\"true\"]\n")
    proc = subprocess.Popen([sys.executable, "-m", "codi", "serve", "--port", str(port)],
                            cwd=tmp_path, env=_env(CODI_API_KEY=f"{KEY},another-key", CODI_ALLOWED_ROOTS=str(tmp_path),
                                                   CODI_OUTPUT_ROOT=str(tmp_path / "runs")),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, 30)
        yield url
    finally:
        stop(proc, 15)


def test_real_server_with_key_and_roots(server: str, tmp_path: Path) -> None:
    assert httpx.get(server + "/healthz").json()["auth"] is True
    assert httpx.post(server + "/lint", json={"dockerfile": "FROM alpine\n"}).status_code == 401
    r = httpx.post(server + "/lint", json={"dockerfile": "FROM alpine\n"}, headers={"Authorization": f"Bearer {KEY}"})
    assert r.status_code == 200 and "DL3006" in {f["code"] for f in r.json()["findings"]}
    headers = {"X-API-Key": "another-key"}
    ok = httpx.post(server + "/analyze", json={"project_path": str(tmp_path / "proj")}, headers=headers)
    assert ok.status_code == 200, ok.text
    assert httpx.post(server + "/analyze", json={"project_path": "/"}, headers=headers).status_code == 403
    assert "codi_http_requests_total" in httpx.get(server + "/metrics", headers=headers).text
