"""Getting a repository onto disk: a local folder as it is, a git URL cloned shallow to a cache;
and retries with back-off for what may pass (a clone, a storage write)."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from codi.fleet.manifest import RepoSpec, default_name

T = TypeVar("T")
CLONE_TIMEOUT_S = 300.0


class RepoError(Exception):
    """A repository that cannot be scanned, and retrying will not change that (a missing folder)."""


class TransientError(Exception):
    """A failure that may pass (the network, a busy server, a full disk being cleaned)."""


def retry(action: Callable[[], T], attempts: int, backoff_s: float,
          sleep: Callable[[float], None] = time.sleep) -> T:
    """``action()``, tried ``attempts`` times on TransientError or OSError, waiting backoff_s,
    2 x backoff_s, 4 x ... between tries. The last failure is raised."""
    for attempt in range(1, max(attempts, 1) + 1):
        try:
            return action()
        except (TransientError, OSError):
            if attempt >= attempts:
                raise
            sleep(backoff_s * 2 ** (attempt - 1))
    raise AssertionError("unreachable")


def checkout(spec: RepoSpec, cache: Path) -> Path:
    """The repository's folder: a local path as given, a URL cloned (``git clone --depth 1``)
    into ``cache``. A clone replaces the previous one atomically, so a re-scan sees new commits."""
    if spec.url is None:
        root = Path(spec.path or "")
        if not root.is_dir():
            raise RepoError(f"{spec.path}: no such folder")
        return root
    cache.mkdir(parents=True, exist_ok=True)
    ident = hashlib.sha256(f"{spec.url}\0{spec.ref or ''}".encode()).hexdigest()[:16]
    target = cache / f"{ident}-{default_name(spec.url)}"  # the name may hold '/' (teamA/app)
    work = Path(tempfile.mkdtemp(prefix=f".{ident}-", dir=cache))
    cmd = ["git", "clone", "--quiet", "--depth", "1", "--no-tags"]
    if spec.ref:
        cmd += ["--branch", spec.ref]
    cmd += ["--", spec.url, str(work / "repo")]
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "GIT_ASKPASS": "true"}
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=CLONE_TIMEOUT_S, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        shutil.rmtree(work, ignore_errors=True)
        raise TransientError(f"{spec.url}: git clone failed: {exc}") from None
    if proc.returncode != 0:
        shutil.rmtree(work, ignore_errors=True)
        reason = (proc.stderr.strip().splitlines() or [f"exit {proc.returncode}"])[-1]
        raise TransientError(f"{spec.url}: git clone failed: {reason}")
    old = target.with_name(target.name + ".old")
    shutil.rmtree(old, ignore_errors=True)
    if target.exists():
        target.rename(old)
    (work / "repo").rename(target)
    shutil.rmtree(old, ignore_errors=True)
    shutil.rmtree(work, ignore_errors=True)
    return target
