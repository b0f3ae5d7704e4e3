"""The demo projects are real applications: they start, answer /healthz, compile, and parse.

Servers are started on 127.0.0.1 with PORT=0 (the OS picks a free port; each app prints the
address it bound), asked with a bounded timeout, and always stopped in a ``finally``.
"""

from __future__ import annotations

import json
import os
import queue
import re
import shutil
import subprocess
import sys
import threading
import tomllib
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import pytest
from proctools import stop

DEMO = Path(__file__).resolve().parents[2] / "demo"
STACKS = ("python", "node", "go", "java")
START_TIMEOUT = 20.0
REQUEST_TIMEOUT = 5.0
LISTENING = re.compile(r"listening on http://127\.0\.0\.1:(\d+)")


def _first_matching_line(stream: IO[str], timeout: float) -> re.Match[str] | None:
    """Read lines on a helper thread so a silent or hung app cannot block the test."""
    lines: queue.Queue[str | None] = queue.Queue()

    def pump() -> None:
        for line in stream:
            lines.put(line)
        lines.put(None)

    threading.Thread(target=pump, daemon=True).start()
    while True:
        try:
            line = lines.get(timeout=timeout)
        except queue.Empty:
            return None
        if line is None:
            return None
        match = LISTENING.search(line)
        if match:
            return match


@contextmanager
def running(cmd: Sequence[str], cwd: Path, extra_env: dict[str, str] | None = None) -> Iterator[str]:
    """Start an app on a free loopback port; yield its base URL; always stop it."""
    env = {**os.environ, "HOST": "127.0.0.1", "PORT": "0", **(extra_env or {})}
    proc = subprocess.Popen(
        list(cmd), cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        assert proc.stdout is not None
        match = _first_matching_line(proc.stdout, START_TIMEOUT)
        if match is None:
            pytest.fail(f"{' '.join(cmd)} did not report a listening address within {START_TIMEOUT} s")
        yield f"http://127.0.0.1:{match.group(1)}"
    finally:
        stop(proc, 5)


def get_json(url: str, data: bytes | None = None) -> tuple[int, object]:
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=REQUEST_TIMEOUT) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


@pytest.mark.parametrize("stack", STACKS)
def test_demo_has_dockerfile_and_readme(stack: str) -> None:
    project = DEMO / stack
    assert (project / "Dockerfile").is_file()
    readme = (project / "README.md").read_text()
    assert "Smells in the Dockerfile" in readme


@pytest.mark.parametrize("stack", STACKS)
def test_demo_dockerfile_is_valid_for_buildkit(stack: str) -> None:
    dockerfile = pytest.importorskip("dockerfile", reason="BuildKit's parser wheel is a dev extra")
    commands = dockerfile.parse_file(str(DEMO / stack / "Dockerfile"))
    keywords = [command.cmd.upper() for command in commands]
    assert keywords[0] == "FROM"
    assert "CMD" in keywords


def _python_demo_env(tmp_path: Path) -> dict[str, str]:
    """PYTHONPATH for the demo's pinned dependencies: this interpreter's own when it has FastAPI and uvicorn,
    else requirements.txt installed from PyPI into a temporary folder (skipped only when PyPI cannot be reached)."""
    try:
        import fastapi  # noqa: F401
        import uvicorn  # noqa: F401
        return {}
    except ImportError:
        pass
    target = tmp_path / "site"
    got = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--target", str(target), "-r",
                          str(DEMO / "python" / "requirements.txt")], capture_output=True, text=True, timeout=180)
    if got.returncode != 0:
        if "resolution" in got.stderr or "connect" in got.stderr.lower():
            pytest.skip(f"PyPI cannot be reached to install the demo's dependencies: {got.stderr.strip()[-200:]}")
        pytest.fail(got.stderr)
    return {"PYTHONPATH": str(target)}


def test_python_demo_serves_healthz_and_todos(tmp_path: Path) -> None:
    with running([sys.executable, "-m", "todo_api"], DEMO / "python", _python_demo_env(tmp_path)) as base:
        assert get_json(f"{base}/")[0] == 200
        assert get_json(f"{base}/healthz") == (200, {"status": "ok", "version": "1.0.0"})
        status, created = get_json(f"{base}/todos", data=b'{"title": "buy milk"}')
        assert status == 201
        assert created == {"id": 1, "title": "buy milk", "done": False}
        assert get_json(f"{base}/todos/1") == (200, created)
        assert get_json(f"{base}/todos/2")[0] == 404
        assert get_json(f"{base}/todos", data=b'{"title": ""}')[0] == 400
        assert get_json(f"{base}/nope") == (404, {"error": "not found"})


def test_python_demo_manifests_point_at_the_app() -> None:
    project = DEMO / "python"
    meta = tomllib.loads((project / "pyproject.toml").read_text())["project"]
    module, _, func = meta["scripts"]["todo-api"].partition(":")
    assert (project / Path(*module.split("."))).with_suffix(".py").is_file()
    assert f"def {func}(" in (project / Path(*module.split("."))).with_suffix(".py").read_text()
    requirements = (project / "requirements.txt").read_text().splitlines()
    pins = [line for line in requirements if line.strip() and not line.startswith("#")]
    assert len(pins) >= 3 and all(re.fullmatch(r"[a-z0-9-]+==[0-9][0-9.]*", pin) for pin in pins), pins
    pinned = dict(p.split("==") for p in pins)
    assert [f"{name}=={pinned[name]}" for name in ("fastapi", "uvicorn")] == meta["dependencies"]


def _node_demo_copy(tmp_path: Path) -> Path:
    """A copy of demo/node with its locked dependencies installed by `npm ci` (skipped only when the npm
    registry cannot be reached)."""
    project = tmp_path / "node"
    shutil.copytree(DEMO / "node", project, ignore=shutil.ignore_patterns("node_modules"))
    got = subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=project, capture_output=True, text=True,
                         timeout=300)
    if got.returncode != 0:
        if re.search(r"EAI_AGAIN|ENOTFOUND|ECONNREFUSED|ETIMEDOUT", got.stderr):
            pytest.skip(f"the npm registry cannot be reached to install the demo's dependencies: {got.stderr[-200:]}")
        pytest.fail(got.stderr)
    return project


@pytest.mark.skipif(shutil.which("npm") is None, reason="node/npm are not on PATH (`make system-deps` apt-installs nodejs)")
def test_node_demo_serves_healthz_and_quotes(tmp_path: Path) -> None:
    with running(["node", "server.js"], _node_demo_copy(tmp_path)) as base:
        assert get_json(f"{base}/healthz") == (200, {"status": "ok", "version": "1.0.0"})
        assert get_json(f"{base}/") == (200, {"name": "quotes-api", "version": "1.0.0"})
        status, quotes = get_json(f"{base}/quotes")
        assert status == 200 and isinstance(quotes, list) and len(quotes) == 3
        assert get_json(f"{base}/nope") == (404, {"error": "not found"})
        assert get_json(f"{base}/quotes", data=b"{}") == (405, {"error": "method not allowed"})


def test_node_demo_lockfile_matches_package_json() -> None:
    package = json.loads((DEMO / "node" / "package.json").read_text())
    lock = json.loads((DEMO / "node" / "package-lock.json").read_text())
    assert package["scripts"]["start"] == f"node {package['main']}"
    assert (DEMO / "node" / package["main"]).is_file()
    # Real, pinned dependencies: exact versions in package.json, each locked at that version.
    assert package["dependencies"] and "devDependencies" not in package
    assert all(re.fullmatch(r"\d+\.\d+\.\d+", v) for v in package["dependencies"].values())
    assert lock["lockfileVersion"] == 3
    assert (lock["name"], lock["version"]) == (package["name"], package["version"])
    assert lock["packages"][""]["dependencies"] == package["dependencies"]
    for name, version in package["dependencies"].items():
        assert lock["packages"][f"node_modules/{name}"]["version"] == version
    assert all(entry.get("resolved", "").startswith("https://registry.npmjs.org/")
               for key, entry in lock["packages"].items() if key)


def test_go_demo_has_no_external_modules() -> None:
    go_mod = (DEMO / "go" / "go.mod").read_text()
    assert re.search(r"^module \S+$", go_mod, re.M)
    assert re.search(r"^go 1\.22$", go_mod, re.M)
    assert "require" not in go_mod
    assert "package main" in (DEMO / "go" / "main.go").read_text()


@pytest.mark.skipif(shutil.which("javac") is None, reason="javac is not on PATH (`make system-deps` apt-installs default-jdk-headless)")
def test_java_demo_compiles_and_serves_healthz(tmp_path: Path) -> None:
    sources = sorted(str(p) for p in (DEMO / "java" / "src" / "main" / "java").rglob("*.java"))
    assert sources
    compiled = subprocess.run(
        ["javac", "--release", "17", "-Xlint:all", "-Werror", "-d", str(tmp_path), *sources],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert compiled.returncode == 0, compiled.stderr
    main_class = re.search(r"<mainClass>([\w.]+)</mainClass>", (DEMO / "java" / "pom.xml").read_text())
    assert main_class is not None
    assert (tmp_path / Path(*main_class.group(1).split("."))).with_suffix(".class").is_file()
    if shutil.which("java") is None:
        return
    with running(["java", "-cp", str(tmp_path), main_class.group(1)], tmp_path) as base:
        assert get_json(f"{base}/healthz") == (200, {"status": "ok", "version": "1.0.0"})
        status, items = get_json(f"{base}/items")
        assert status == 200 and isinstance(items, list) and items


def test_codi_lint_finds_the_deliberate_smells() -> None:
    """Each demo keeps the smells its README promises: whole context copied, shell-form CMD, root."""
    lint = subprocess.run(
        [sys.executable, "-m", "codi", "lint", "--format", "json", "--no-fail", str(DEMO)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert lint.returncode == 0, lint.stderr
    codes: dict[str, set[str]] = {stack: set() for stack in STACKS}
    for finding in json.loads(lint.stdout):
        codes[Path(finding["file"]).parent.name].add(finding["code"])
    for stack, found in codes.items():
        assert {"CD202", "DL3025", "CD306"} <= found, (stack, sorted(found))
