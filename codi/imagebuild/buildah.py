"""The daemonless engine: ``buildah bud --isolation chroot`` (works in CI containers as root)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

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

_COMMITTED = re.compile(r"^--> ([0-9a-f]{10,64})\s*$")


# buildah's words when an image or layer it found a moment ago is gone (removed by another process).
_STORAGE_RACE = re.compile(r"\b(?:layer|image) not known\b|identifier is not an image")


def committed_images(output: str) -> list[str]:
    """Image IDs a ``buildah bud --layers`` run committed itself: every ``--> ID`` line that does not
    follow a ``--> Using cache`` line (those images were there before, maybe from another run)."""
    out: list[str] = []
    cached = False
    for line in output.splitlines():
        line = line.strip()
        if line.startswith("--> Using cache"):
            cached = True
            continue
        match = _COMMITTED.match(line)
        if match:
            if not cached:
                out.append(match.group(1))
            cached = False
    return out


def mount_args(mounts: Sequence[tuple[Path, str]]) -> list[str]:
    """``--volume SRC:DEST:ro`` for each (host file, path in the build): RUN steps see it, no layer keeps it."""
    out: list[str] = []
    for source, dest in mounts:
        if ":" in str(source) or ":" in dest:
            raise EngineError(f"cannot mount {source} at {dest}: a path with ':' cannot be given to --volume")
        out += ["--volume", f"{source}:{dest}:ro"]
    return out


def _ports(exposed: Any) -> list[int]:
    out: list[int] = []
    for key in exposed or {}:
        number = str(key).split("/")[0]
        if number.isdigit():
            out.append(int(number))
    return sorted(out)


class BuildahEngine(CliEngine):
    name = "buildah"

    def __init__(self, binary: str = "buildah") -> None:
        super().__init__(binary)
        self._unshare: bool | None = None

    def available(self) -> str | None:
        if shutil.which(self.binary) is None:
            return f"`{self.binary}` is not on PATH (Debian: apt-get install -y buildah)"
        for attempt in range(3):
            try:
                proc = run_cmd([self.binary, "images", "--quiet"], 60)
            except EngineError as exc:
                return f"buildah does not answer: {exc.message}"
            # Listing races with another build's clean-up in the shared storage ("locating image with ID
            # ...: image not known"): a passing state, so ask again before calling buildah unusable.
            if proc.rc == 0 or "image not known" not in proc.output or attempt == 2:
                break
            time.sleep(1.0)
        if proc.rc != 0:
            return f"buildah cannot run here: {tail(proc.output, 3)}"
        return None

    def offline_wrapper(self) -> bool:
        """Whether builds can be cut off the network (``unshare --net`` needs root or CAP_SYS_ADMIN)."""
        if self._unshare is None:
            ok = shutil.which("unshare") is not None
            self._unshare = ok and run_cmd(["unshare", "--net", "true"], 30).rc == 0
        return self._unshare

    def build(self, context: Path, dockerfile: Path, tag: str, timeout: float, network: bool,
              no_cache: bool = False, build_args: Mapping[str, str] | None = None,
              mounts: Sequence[tuple[Path, str]] = ()) -> BuildOutcome:
        # --layers keeps per-instruction cache, which is what the rebuild timing measures.
        # Docker format keeps HEALTHCHECK and friends, which the OCI format drops.
        # Base images are never pulled, with or without the build network: a base that is not local fails
        # at once (measured builds use local stand-ins; the build network is for RUN steps only).
        args = ["bud", "--isolation", "chroot", "--layers", "--force-rm", "--format=docker", "--pull=never",
                "-f", str(dockerfile), "-t", tag]
        if no_cache:
            args.append("--no-cache")
        for key, value in (build_args or {}).items():
            args += ["--build-arg", f"{key}={value}"]
        args += mount_args(mounts)
        # chroot isolation refuses --network=none; running buildah itself in a fresh network namespace
        # (loopback only) gives RUN steps no network instead. Local stand-in bases need none.
        wrap = ["unshare", "--net"] if not network and self.offline_wrapper() else []
        proc = run_cmd([*wrap, self.binary, *args, str(context)], timeout)
        earlier: list[str] = []  # what a first attempt committed before a retry
        if proc.rc != 0 and _STORAGE_RACE.search(proc.output):
            earlier = committed_images(proc.output)
            # A cache image this build was about to reuse was removed meanwhile (another run's clean-up of
            # the images it committed): once more, and the cache check no longer finds it. Both attempts
            # count in the time: a race never makes a build look faster.
            again = run_cmd([*wrap, self.binary, *args, str(context)], timeout)
            proc = replace(again, seconds=proc.seconds + again.seconds)
        if proc.rc != 0:
            raise EngineError(f"build failed (exit {proc.rc})", tail(proc.output),
                              classify(proc.output, offline=not network), earlier + committed_images(proc.output))
        return BuildOutcome(tag, proc.seconds, tail(proc.output, 10), earlier + committed_images(proc.output))

    def inspect(self, ref: str) -> ImageInfo:
        data = json.loads(self._run(["inspect", "--type", "image", ref]))
        oci = data.get("OCIv1") or {}
        config = dict(oci.get("config") or {})
        # Built with --format=docker: the Docker config keeps what OCI has no field for (Healthcheck).
        docker = (data.get("Docker") or {}).get("config") or {}
        if docker.get("Healthcheck") and not config.get("Healthcheck"):
            config["Healthcheck"] = docker["Healthcheck"]
        layers = len((oci.get("rootfs") or {}).get("diff_ids") or [])
        # Local storage keeps layers as plain tars: the manifest sizes are the uncompressed bytes.
        manifest = json.loads(data.get("Manifest") or "{}")
        size = sum(int(layer.get("size") or 0) for layer in manifest.get("layers") or [])
        return ImageInfo(
            image_id=str(data.get("FromImageID") or ""), size_bytes=size, layers=layers,
            user=str(config.get("User") or ""), entrypoint=list(config.get("Entrypoint") or []),
            cmd=list(config.get("Cmd") or []), ports=_ports(config.get("ExposedPorts")),
            env=list(config.get("Env") or []), workdir=str(config.get("WorkingDir") or ""), config=config)

    def start(self, ref: str, argv: list[str], user: str) -> tuple[subprocess.Popen[str], str]:
        container = self._run(["from", "--pull=never", ref]).strip().splitlines()[-1]
        # chroot isolation shares the host's network namespace: the app listens on loopback here.
        cmd = [self.binary, "run", "--isolation", "chroot", "--terminal=false"]
        if user:
            cmd += ["--user", user]
        proc = subprocess.Popen([*cmd, container, "--", *argv], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, text=True, errors="replace", start_new_session=True)
        return proc, container

    def stop(self, handle: str) -> None:
        run_cmd([self.binary, "rm", handle], QUICK_SECONDS)

    def remove(self, refs: list[str]) -> None:
        # No --force: an image a container (another run's build or smoke run) still uses stays.
        # rmi goes on past names it does not know (parents it already dropped with their child).
        if refs:
            run_cmd([self.binary, "rmi", *refs], QUICK_SECONDS)

    def exists(self, ref: str) -> bool:
        return run_cmd([self.binary, "inspect", "--type", "image", ref], QUICK_SECONDS).rc == 0

    def import_rootfs(self, tarball: Path, ref: str, changes: list[str]) -> None:
        container = self._run(["from", "scratch"]).strip().splitlines()[-1]
        try:
            self._run(["add", container, str(tarball), "/"], 600)
            config: list[str] = []
            for change in changes:
                key, _, value = change.partition("=")
                config += [f"--{key}", value]
            self._run(["config", *config, container])
            self._run(["commit", "--rm", container, ref], 600)
        except EngineError:
            run_cmd([self.binary, "rm", container], QUICK_SECONDS)
            raise
