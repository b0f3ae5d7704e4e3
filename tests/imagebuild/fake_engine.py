"""An Engine whose "containers" are plain local processes: exercises smoke/measure logic without buildah."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

import pytest

from codi.imagebuild.engine import BuildOutcome, Engine, EngineError, ImageInfo

DEMO_GO = Path(__file__).resolve().parents[2] / "demo" / "go"
STANDIN = "localhost/codi-standin/golang:bookworm"
DISTROLESS = "gcr.io/distroless/static-debian12:nonroot"


def go_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, base_map: str | None) -> Path:
    """A copy of demo/go with no local base images (an empty CODI_BASES_DIR) and CODI_BASE_MAP set to
    ``base_map`` (None: unset)."""
    monkeypatch.setenv("CODI_BASES_DIR", str(tmp_path / "no-bases"))
    if base_map is None:
        monkeypatch.delenv("CODI_BASE_MAP", raising=False)
    else:
        monkeypatch.setenv("CODI_BASE_MAP", base_map)
    dest = tmp_path / "go"
    shutil.copytree(DEMO_GO, dest)
    return dest


def use_engine(monkeypatch: pytest.MonkeyPatch, engine: Engine) -> Engine:
    """Measuring (codi run --real) uses ``engine``, whatever the disk space."""
    monkeypatch.setattr("codi.service.measure.detect_engine", lambda name: (engine, ""))
    monkeypatch.setattr("codi.service.measure._disk_problem", lambda engine, need: None)
    return engine


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class FakeEngine(Engine):
    name = "fake"

    def __init__(self, images: dict[str, ImageInfo] | None = None, fail_build: set[str] | None = None,
                 missing: set[str] | None = None) -> None:
        self.images = images or {}
        self.missing = missing or set()  # base images that are not "local"; every other one is
        self.fail_build = fail_build or set()
        self.built: list[tuple[str, bool, bool]] = []  # (tag, network, no_cache)
        self.removed: list[str] = []
        self.build_args: list[dict[str, str]] = []
        self.texts: list[str] = []  # the Dockerfiles as the engine got them
        self.procs: list[subprocess.Popen[str]] = []

    def available(self) -> str | None:
        return None

    def build(self, context: Path, dockerfile: Path, tag: str, timeout: float, network: bool,
              no_cache: bool = False, build_args: Mapping[str, str] | None = None) -> BuildOutcome:
        self.built.append((tag, network, no_cache))
        self.build_args.append(dict(build_args or {}))
        text = dockerfile.read_text()
        self.texts.append(text)
        if any(word in text for word in self.fail_build):
            raise EngineError("build failed (exit 1)", "step 2/3: boom")
        layers = sum(1 for line in text.splitlines() if line.split(" ")[0] in {"RUN", "COPY", "ADD"})
        self.images[tag] = ImageInfo(image_id=f"sha256:{len(text):04d}", size_bytes=1000 * len(text),
                                     layers=layers, user="", entrypoint=[], cmd=[sys.executable, "-c", "pass"],
                                     ports=[])
        return BuildOutcome(tag, 0.5 if no_cache else 0.1, "ok")

    def inspect(self, ref: str) -> ImageInfo:
        if ref not in self.images:
            raise EngineError(f"no image {ref}")
        return self.images[ref]

    def start(self, ref: str, argv: list[str], user: str) -> tuple[subprocess.Popen[str], str]:
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                start_new_session=True)
        self.procs.append(proc)
        return proc, ref

    def stop(self, handle: str) -> None:
        pass

    def remove(self, refs: list[str]) -> None:
        self.removed += refs

    def exists(self, ref: str) -> bool:
        return ref in self.images or ref not in self.missing

    def import_rootfs(self, tarball: Path, ref: str, changes: list[str]) -> None:
        raise EngineError("not supported")
