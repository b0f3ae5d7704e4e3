"""The 413 for an oversized body reaches clients that upload the whole body before they read (urllib,
httpx), on a real `codi serve` over loopback, not only curl-style clients that wait for 100 Continue."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator

import httpx
import pytest
from proctools import stop, wait_healthy

pytest.importorskip("uvicorn", reason="codi serve needs uvicorn")

CAP = 64 * 1024


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    cwd = tmp_path_factory.mktemp("cap")
    env = {k: v for k, v in os.environ.items() if k not in ("CODI_API_KEY", "CODI_ALLOWED_ROOTS")}
    env.update(CODI_MAX_BODY=str(CAP), CODI_OUTPUT_ROOT=str(cwd / "runs"))
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "codi", "serve", "--port", str(port), "--log-level", "warning"],
                            cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        assert wait_healthy(url, 30), "codi serve did not come up"
        yield url
    finally:
        stop(proc, 15)


def _body(size: int) -> bytes:
    return b'{"dockerfile": "' + b"x" * size + b'"}'


@pytest.mark.parametrize("size", [CAP * 4, 20 * 1024 * 1024])
def test_urllib_gets_413_not_a_reset(server: str, size: int) -> None:
    # urllib sends "Connection: close" and the whole body before it reads anything.
    request = urllib.request.Request(server + "/lint", data=_body(size), headers={"Content-Type": "application/json"})
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(request, timeout=30)
    assert caught.value.code == 413
    assert json.loads(caught.value.read())["error"] == f"request body larger than {CAP} bytes"


def test_httpx_gets_413_with_length_and_chunked(server: str) -> None:
    body = _body(20 * 1024 * 1024)
    r = httpx.post(server + "/lint", content=body, headers={"Content-Type": "application/json"}, timeout=30)
    assert r.status_code == 413 and r.headers["connection"] == "close"

    def chunks() -> Iterator[bytes]:
        for i in range(0, len(body), 256 * 1024):
            yield body[i:i + 256 * 1024]

    r = httpx.post(server + "/lint", content=chunks(), headers={"Content-Type": "application/json"}, timeout=30)
    assert r.status_code == 413, r.text


def test_expect_continue_is_answered_before_any_upload(server: str) -> None:
    host, port = server.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as s:
        s.sendall(b"POST /lint HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                  b"Content-Length: 1073741824\r\nExpect: 100-continue\r\n\r\n")
        head = s.recv(4096)
    assert head.startswith(b"HTTP/1.1 413 ") and b"100 Continue" not in head


def test_small_bodies_still_served_after_refusals(server: str) -> None:
    r = httpx.post(server + "/lint", json={"dockerfile": "FROM alpine\n"}, timeout=30)
    assert r.status_code == 200 and "DL3006" in {f["code"] for f in r.json()["findings"]}
