"""The Docker engine: the ``docker`` CLI against a reachable daemon, BuildKit builds."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path

from codi.imagebuild.buildah import _ports
from codi.imagebuild.engine import (
    QUICK_SECONDS,
    BuildOutcome,
    CliEngine,
    EngineError,
    ImageInfo,
    run_cmd,
    tail,
)
from codi.imagebuild.failures import classify

_WRITTEN = re.compile(r"writing image (sha256:[0-9a-f]{64})")
_DOCKER_CHANGE = {"workingdir": "WORKDIR"}


class DockerEngine(CliEngine):
    name = "docker"

    def __init__(self, binary: str = "docker") -> None:
        super().__init__(binary)

    def available(self) -> str | None:
        if shutil.which(self.binary) is None:
            return f"`{self.binary}` is not on PATH"
        try:
            proc = run_cmd([self.binary, "info", "--format", "{{.ServerVersion}}"], 15)
        except EngineError:
            return "no Docker daemon answered within 15 s"
        if proc.rc != 0:
            return f"no reachable Docker daemon ({tail(proc.output, 1)})"
        return None

    def build(self, context: Path, dockerfile: Path, tag: str, timeout: float, network: bool,
              no_cache: bool = False, build_args: Mapping[str, str] | None = None,
              mounts: Sequence[tuple[Path, str]] = ()) -> BuildOutcome:
        if mounts:  # docker build has no bind mounts for RUN steps that stay out of the image
            raise EngineError(f"docker build cannot mount {mounts[0][0]} into RUN steps: bake it into the stand-ins "
                              "(`codi bases bootstrap --engine docker`) or build with buildah")
        # Base images are never pulled: the build network is for RUN steps only, and measure_image checks
        # before the build that every base is local.
        args = [self.binary, "build", "-f", str(dockerfile), "-t", tag, "--progress=plain", "--pull=false"]
        if not network:
            args.append("--network=none")
        if no_cache:
            args.append("--no-cache")
        for key, value in (build_args or {}).items():
            args += ["--build-arg", f"{key}={value}"]
        os.environ.setdefault("DOCKER_BUILDKIT", "1")
        proc = run_cmd([*args, str(context)], timeout)
        if proc.rc != 0:
            raise EngineError(f"build failed (exit {proc.rc})", tail(proc.output),
                              classify(proc.output, offline=not network))
        return BuildOutcome(tag, proc.seconds, tail(proc.output, 10), _WRITTEN.findall(proc.output))

    def inspect(self, ref: str) -> ImageInfo:
        data = json.loads(self._run(["image", "inspect", ref]))[0]
        config = data.get("Config") or {}
        return ImageInfo(
            image_id=str(data.get("Id") or ""), size_bytes=int(data.get("Size") or 0),
            layers=len((data.get("RootFS") or {}).get("Layers") or []), user=str(config.get("User") or ""),
            entrypoint=list(config.get("Entrypoint") or []), cmd=list(config.get("Cmd") or []),
            ports=_ports(config.get("ExposedPorts")), env=list(config.get("Env") or []),
            workdir=str(config.get("WorkingDir") or ""), config=dict(config))

    def start(self, ref: str, argv: list[str], user: str) -> tuple[subprocess.Popen[str], str]:
        # The image's own CMD/ENTRYPOINT and user; ports published on loopback only; no mounts.
        name = f"codi-smoke-{uuid.uuid4().hex[:10]}"
        info = self.inspect(ref)
        publish = [x for p in info.ports for x in ("-p", f"127.0.0.1:{p}:{p}")]
        cmd = [self.binary, "run", "--name", name, "--init", *publish, ref]
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                text=True, errors="replace", start_new_session=True)
        return proc, name

    def stop(self, handle: str) -> None:
        run_cmd([self.binary, "rm", "--force", handle], QUICK_SECONDS)

    def remove(self, refs: list[str]) -> None:
        if refs:
            run_cmd([self.binary, "image", "rm", "--force", *refs], QUICK_SECONDS)

    def exists(self, ref: str) -> bool:
        return run_cmd([self.binary, "image", "inspect", ref], QUICK_SECONDS).rc == 0

    def import_rootfs(self, tarball: Path, ref: str, changes: list[str]) -> None:
        args = [self.binary, "import"]
        for change in changes:
            key, _, value = change.partition("=")
            args += ["--change", f"{_DOCKER_CHANGE.get(key, key.upper())} {value}"]
        proc = run_cmd([*args, str(tarball), ref], 600)
        if proc.rc != 0:
            raise EngineError("docker import failed", tail(proc.output))
