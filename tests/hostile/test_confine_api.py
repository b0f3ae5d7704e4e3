"""A real `codi serve` on 127.0.0.1 given hostile projects inside its allowed roots: a found file that
leaves the project, a FIFO, a NUL byte. Every answer is a short, clear 400 (never the server's environment,
another file's lines or a 500), and nothing from outside lands in a run directory."""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from confinekit import GOOD, MARKER, env, fifo, files_containing, link, outside_file, repo
from proctools import stop, wait_healthy

KEY = "hostile-test-key-0123456789"
SECRET = "server-secret-value-5d1c0e"  # in the server's environment: /proc/self/environ holds it
HEADERS = {"Authorization": f"Bearer {KEY}"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    base = tmp_path_factory.mktemp("hostile-api")
    allowed = base / "allowed"
    outside = outside_file(base)
    link(repo(allowed / "environ") / "Dockerfile", "/proc/self/environ")
    link(repo(allowed / "passwd") / "Dockerfile", outside)
    link(repo(allowed / "zero") / "Dockerfile", "/dev/zero")
    link(repo(allowed / "loop") / "Dockerfile", "Dockerfile")
    fifo(repo(allowed / "fifo") / "Dockerfile")
    # A node project whose manifest is a link out: analysed as if it had none, never read.
    node = repo(allowed / "node", {"Dockerfile": 'FROM node:20-slim\nWORKDIR /app\nCOPY . .\nCMD ["node", "index.js"]\n',
                                   "index.js": "console.log(1)\n"})
    (base / "outside" / "package.json").write_text(f'{{"name": "{MARKER}", "scripts": {{"start": "{MARKER}"}}}}\n')
    link(node / "package.json", base / "outside" / "package.json")
    # A Dockerfile of one long line of secrets: refused, quoted by a short redacted excerpt at most.
    long_line = "GITHUB_TOKEN=ghp_" + "A" * 36 + " " + " ".join(f"W{n}={MARKER}" for n in range(200))
    repo(allowed / "longline", {"Dockerfile": long_line + "\n"})
    repo(allowed / "good", {"Dockerfile": GOOD})
    repo(allowed / "big", {"Dockerfile": GOOD + "# " + "x" * 100_000 + "\n"})
    port = _free_port()
    runs = base / "runs"
    proc = subprocess.Popen([sys.executable, "-m", "codi", "serve", "--port", str(port)], cwd=base,
                            env=env(CODI_API_KEY=KEY, CODI_ALLOWED_ROOTS=str(allowed), CODI_OUTPUT_ROOT=str(runs),
                                    HOSTILE_TEST_SECRET=SECRET, CODI_MAX_FILE_SIZE="64k"),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        assert wait_healthy(url, 60), "codi serve did not start"
        yield url, base
    finally:
        stop(proc, 15)


def _post(url: str, path: str, body: dict[str, object]) -> httpx.Response:
    return httpx.post(url + path, json=body, headers=HEADERS, timeout=60)


def _refused(r: httpx.Response, *words: str) -> str:
    assert r.status_code == 400, (r.status_code, r.text[:500])
    text = r.text
    assert SECRET not in text and MARKER not in text and KEY not in text
    assert len(r.json()["error"]) <= 300
    for word in words:
        assert word in text, text
    return text


@pytest.mark.parametrize("endpoint", ["/analyze", "/rewrite", "/run"])
@pytest.mark.parametrize("project", ["environ", "passwd", "zero"])
def test_a_found_dockerfile_that_leaves_the_project_is_refused(server: tuple[str, Path], endpoint: str,
                                                                project: str) -> None:
    url, base = server
    r = _post(url, endpoint, {"project_path": str(base / "allowed" / project), "llm": False})
    _refused(r, "outside the project folder")


def test_a_fifo_and_a_symlink_loop_end_at_once(server: tuple[str, Path]) -> None:
    url, base = server
    _refused(_post(url, "/analyze", {"project_path": str(base / "allowed" / "fifo")}), "FIFO")
    _refused(_post(url, "/run", {"project_path": str(base / "allowed" / "fifo"), "llm": False}), "FIFO")
    _refused(_post(url, "/analyze", {"project_path": str(base / "allowed" / "loop")}), "symlink loop")


def test_a_manifest_link_out_of_the_project_is_not_read(server: tuple[str, Path]) -> None:
    url, base = server
    body = {"project_path": str(base / "allowed" / "node"), "llm": False}
    for endpoint in ("/analyze", "/rewrite", "/run"):
        r = _post(url, endpoint, body)
        assert r.status_code == 200, r.text[:500]
        assert MARKER not in r.text


def test_nothing_from_outside_lands_in_a_run_directory(server: tuple[str, Path]) -> None:
    url, base = server
    for project in ("environ", "passwd", "node"):
        _post(url, "/run", {"project_path": str(base / "allowed" / project), "llm": False})
    runs = base / "runs"
    assert files_containing(runs, MARKER) == [] and files_containing(runs, SECRET) == []


def test_a_parse_error_quotes_a_short_redacted_excerpt(server: tuple[str, Path]) -> None:
    url, base = server
    text = _refused(_post(url, "/analyze", {"project_path": str(base / "allowed" / "longline")}), "Dockerfile:1")
    assert "ghp_" + "A" * 36 not in text


def test_nul_bytes_are_a_400(server: tuple[str, Path]) -> None:
    url, base = server
    _refused(_post(url, "/lint", {"dockerfile": "FROM alpine:3.19\n\x00\n"}), "NUL")
    _refused(_post(url, "/fix", {"dockerfile": "FROM alpine:3.19\nRUN apt-get install curl\x00\n"}), "NUL")
    _refused(_post(url, "/analyze", {"project_path": str(base / "allowed" / "good") + "\x00"}), "NUL")
    _refused(_post(url, "/analyze", {"project_path": str(base / "allowed" / "good"),
                                     "dockerfile_path": "Dockerfile\x00"}), "NUL")
    ok = _post(url, "/lint", {"dockerfile": GOOD})
    assert ok.status_code == 200 and ok.json()["failed"] is False


def test_the_operators_size_limit_holds_for_text_and_projects(server: tuple[str, Path]) -> None:
    url, base = server
    big = GOOD + "# " + "x" * 100_000 + "\n"
    _refused(_post(url, "/lint", {"dockerfile": big}), "input size limit of 64 KiB")
    _refused(_post(url, "/fix", {"dockerfile": big}), "input size limit of 64 KiB")
    _refused(_post(url, "/analyze", {"project_path": str(base / "allowed" / "big")}), "input size limit of 64 KiB")
