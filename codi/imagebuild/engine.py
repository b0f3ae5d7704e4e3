"""The build-engine interface: what measured mode needs from docker or buildah."""

from __future__ import annotations

import subprocess
import time
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from codi.imagebuild.failures import BuildFailure

DEFAULT_BUILD_TIMEOUT = 600.0  # seconds per build


class EngineError(Exception):
    """A build, inspect or run step failed; ``log`` holds the tail of its output, ``failure`` the cause
    recognised in the whole output (codi.imagebuild.failures), if any; ``images`` the cache images a failed
    build committed before it failed (its caller removes them, as it does a finished build's)."""

    def __init__(self, message: str, log: str = "", failure: BuildFailure | None = None,
                 images: list[str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.log = log
        self.failure = failure
        self.images = images or []


@dataclass(slots=True)
class ImageInfo:
    image_id: str
    size_bytes: int
    layers: int
    user: str
    entrypoint: list[str]
    cmd: list[str]
    ports: list[int]
    env: list[str] = field(default_factory=list)
    workdir: str = ""
    # The image config as Docker spells it (Entrypoint, Cmd, User, WorkingDir, Env, ExposedPorts, Healthcheck);
    # empty when the engine does not report one.
    config: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class BuildOutcome:
    tag: str
    seconds: float
    log_tail: str
    images: list[str] = field(default_factory=list)  # image IDs this build committed (not cache hits)


@dataclass(slots=True)
class Proc:
    """Result of one engine command."""

    rc: int
    output: str
    seconds: float


def tail(text: str, lines: int = 30) -> str:
    return "\n".join(text.rstrip().splitlines()[-lines:])


def run_cmd(argv: list[str], timeout: float, cwd: Path | None = None) -> Proc:
    """Run an engine command, output merged; a timeout kills the whole process group."""
    start = time.monotonic()
    proc = subprocess.Popen(argv, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL, text=True, errors="replace", start_new_session=True)
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        kill_group(proc)
        out, _ = proc.communicate()
        raise EngineError(f"timed out after {timeout:.0f} s: {' '.join(argv[:3])}", tail(out or "")) from None
    except BaseException:
        # Ctrl-C: the engine runs in its own session, so it would not get the signal and build on, orphaned.
        kill_group(proc)
        raise
    return Proc(proc.returncode, out or "", time.monotonic() - start)


def kill_group(proc: subprocess.Popen[Any]) -> None:
    import os
    import signal

    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait()


class Engine(ABC):
    """One container engine. Tags are local names; nothing is pushed anywhere."""

    name: str

    @abstractmethod
    def available(self) -> str | None:
        """None when usable here, else why not (one line)."""

    @abstractmethod
    def build(self, context: Path, dockerfile: Path, tag: str, timeout: float, network: bool,
              no_cache: bool = False, build_args: Mapping[str, str] | None = None,
              mounts: Sequence[tuple[Path, str]] = ()) -> BuildOutcome:
        """Build ``dockerfile`` (a path inside or outside ``context``); raises EngineError on failure.
        ``build_args`` are passed as ``--build-arg NAME=VALUE``; ``network`` lets RUN steps reach the
        network (base images are never pulled either way); ``mounts`` are (host file, path) pairs mounted
        read-only into every RUN step and never committed (an engine that cannot raises EngineError)."""

    @abstractmethod
    def inspect(self, ref: str) -> ImageInfo:
        """Size, layers and run config of a local image."""

    @abstractmethod
    def start(self, ref: str, argv: list[str], user: str) -> tuple[subprocess.Popen[str], str]:
        """Start ``argv`` in a container of ``ref`` as ``user``; returns the process and a handle for stop()."""

    @abstractmethod
    def stop(self, handle: str) -> None:
        """Stop and remove what start() created."""

    @abstractmethod
    def remove(self, refs: list[str]) -> None:
        """Remove local images (missing ones are fine)."""

    @abstractmethod
    def exists(self, ref: str) -> bool:
        """Whether a local image of that name exists."""

    @abstractmethod
    def import_rootfs(self, tarball: Path, ref: str, changes: list[str]) -> None:
        """Commit a root-filesystem tarball as a local image (for stand-in bases)."""


QUICK_SECONDS = 120.0  # inspect, remove and commit steps


class CliEngine(Engine):
    """An engine driven through its command-line tool (``docker``, ``buildah``)."""

    def __init__(self, binary: str) -> None:
        self.binary = binary

    def _run(self, args: list[str], timeout: float = QUICK_SECONDS) -> str:
        """Run ``binary args``; its output, or EngineError naming the step that failed."""
        proc = run_cmd([self.binary, *args], timeout)
        if proc.rc != 0:
            raise EngineError(f"{self.name} {args[0]} failed (exit {proc.rc})", tail(proc.output))
        return proc.output
