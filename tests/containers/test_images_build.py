"""docker/Dockerfile.slim and docker/Dockerfile.complete really build, offline, with buildah.

The build context is this repository as its .dockerignore leaves it, plus a wheelhouse that
codi.ops.wheelhouse fills from this virtualenv and pip's wheel cache (no network); FROM lines go
through the base map to the local stand-in images (`codi bases bootstrap --only python`). Then the image
runs `codi --version` and serves /healthz. Skipped, with the reason, where buildah, an offline
network namespace or the stand-in bases are missing, or with CODI_SKIP_REAL_BUILDS=1.
"""

from __future__ import annotations

import os
import re
import socket
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

import codi
from codi.imagebuild.basemap import apply_base_map, load_base_map
from codi.imagebuild.buildah import BuildahEngine
from codi.imagebuild.context import copy_context
from codi.imagebuild.engine import EngineError, kill_group
from codi.ops.wheelhouse import WheelhouseError, fill

REPO = Path(__file__).resolve().parents[2]
BUILD_TIMEOUT = 540.0


def _why_not(engine: BuildahEngine, dockerfile: str) -> str | None:
    if os.environ.get("CODI_SKIP_REAL_BUILDS") == "1":
        return "CODI_SKIP_REAL_BUILDS=1"
    why = engine.available()
    if why is not None:
        return why
    if not engine.offline_wrapper():
        return "`unshare --net` is not allowed here, so the build could not be kept off the network"
    base_map, _ = load_base_map(None)
    text = (REPO / "docker" / dockerfile).read_text(encoding="utf-8")
    refs = {m.group(1) for m in re.finditer(r"^FROM\s+(\S+)", text, re.MULTILINE)}
    _, used = apply_base_map(text, base_map)
    for ref in sorted(refs):
        if ref not in used:
            return f"no stand-in for {ref} in the base map (`make test-bases` runs `codi bases bootstrap --only python`)"
        if not engine.exists(used[ref]):
            return f"the stand-in {used[ref]} for {ref} is not in local storage (`make test-bases` runs `codi bases bootstrap --only python`)"
    return None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _run(engine: BuildahEngine, tag: str, argv: list[str], user: str, seconds: float = 120) -> str:
    proc, handle = engine.start(tag, argv, user)
    try:
        out, _ = proc.communicate(timeout=seconds)
    finally:
        if proc.poll() is None:
            kill_group(proc)
        engine.stop(handle)
    assert proc.returncode == 0, out
    return out


def _serves_healthz(engine: BuildahEngine, tag: str, user: str) -> dict[str, object]:
    """Start the image's API on a free loopback port (chroot isolation shares the host network)."""
    port = _free_port()
    proc, handle = engine.start(tag, ["codi", "serve", "--host", "127.0.0.1", "--port", str(port)], user)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                reply = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
                if reply.status_code == 200:
                    data: dict[str, object] = reply.json()
                    return data
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        raise AssertionError(f"no /healthz answer on port {port}: exit {proc.poll()}")
    finally:
        kill_group(proc)
        engine.stop(handle)


def _build(dockerfile: str, image: str) -> Iterator[tuple[BuildahEngine, str]]:
    engine = BuildahEngine()
    why = _why_not(engine, dockerfile)
    if why is not None:
        pytest.skip(f"real buildah build of docker/{dockerfile} unavailable: {why}")
    tag = f"localhost/codi-test/{image}:{os.getpid()}"
    with tempfile.TemporaryDirectory(prefix="codi-image-") as tmp:
        context = Path(tmp) / "context"
        copy_context(REPO, context)
        wheels = context / "docker" / "wheels"
        for old in wheels.glob("*.whl"):  # a developer's own wheelhouse: use this venv's instead
            old.unlink()
        try:
            fill(wheels, image)
        except WheelhouseError as exc:
            pytest.skip(f"cannot fill the wheelhouse offline: {exc}")
        text, _ = apply_base_map((REPO / "docker" / dockerfile).read_text(encoding="utf-8"), load_base_map(None)[0])
        mapped = Path(tmp) / dockerfile
        mapped.write_text(text, encoding="utf-8")
        for attempt in (1, 2):
            try:
                outcome = engine.build(context, mapped, tag, BUILD_TIMEOUT, network=False)
                break
            except EngineError as exc:
                # Another build removing its images while buildah scans the layer cache makes that scan
                # fail ("layer not known"); that is the shared storage, not this Dockerfile: once more.
                if attempt == 2 or "layer not known" not in exc.log:
                    raise AssertionError(f"{exc.message}\n{exc.log}") from None
    try:
        yield engine, tag
    finally:
        # Only what this build committed: other builds may share the layer cache at the same time.
        # One at a time: removing the tag already drops its untagged parents, and buildah stops at the
        # first unknown name of a list.
        for ref in [tag, *reversed(outcome.images)]:
            engine.remove([ref])


@pytest.fixture(scope="module")
def slim() -> Iterator[tuple[BuildahEngine, str]]:
    yield from _build("Dockerfile.slim", "slim")


@pytest.mark.slow
def test_slim_image_builds_offline_and_runs(slim: tuple[BuildahEngine, str]) -> None:
    engine, tag = slim
    info = engine.inspect(tag)
    assert info.user == "10001:10001" and info.ports == [8000]
    assert info.cmd[:2] == ["codi", "serve"]
    out = _run(engine, tag, ["codi", "--version"], info.user)
    assert codi.__version__ in out, out
    # The slim image has no model runtime.
    probe = _run(engine, tag, ["python", "-c", "import importlib.util as u; print(u.find_spec('llama_cpp'))"],
                 info.user)
    assert probe.strip().endswith("None"), probe
    health = _serves_healthz(engine, tag, info.user)
    assert health.get("version") == codi.__version__, health


@pytest.fixture(scope="module")
def complete() -> Iterator[tuple[BuildahEngine, str]]:
    yield from _build("Dockerfile.complete", "complete")


@pytest.mark.slow
def test_complete_image_builds_offline_and_loads_the_model(complete: tuple[BuildahEngine, str]) -> None:
    engine, tag = complete
    info = engine.inspect(tag)
    assert info.user == "10001:10001" and info.cmd[:3] == ["codi", "stack", "up"]
    out = _run(engine, tag, ["codi", "--version"], info.user)
    assert codi.__version__ in out, out
    # llama.cpp loads (its OpenMP runtime is vendored beside it) and the default GGUF is in the image.
    probe = _run(engine, tag, ["python", "-c", "import llama_cpp; from codi.llm.runtime import packaged_model; "
                               "print(llama_cpp.__version__, packaged_model())"], info.user)
    assert probe.strip().endswith(".gguf"), probe
    # The image's own `codi stack up`: model server and API healthy, then stopped cleanly.
    api, llm = _free_port(), _free_port()
    state = "/tmp/codi-stack"
    script = (f"codi stack up --detach --port {api} --llm-port {llm} --state-dir {state} "
              f"&& codi stack status --state-dir {state}; rc=$?; codi stack down --state-dir {state}; exit $rc")
    stack = _run(engine, tag, ["sh", "-c", script], info.user, seconds=180)
    assert "stack up: llm, api healthy" in stack and "stack stopped" in stack, stack
