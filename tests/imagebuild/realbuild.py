"""Whether real buildah builds can run here (the tests that need them skip with this reason)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

from codi.imagebuild.buildah import BuildahEngine


def why_not_real_builds() -> str | None:
    if os.environ.get("CODI_SKIP_REAL_BUILDS") == "1":
        return "CODI_SKIP_REAL_BUILDS=1"
    if shutil.which("mmdebstrap") is None:
        return "mmdebstrap is not installed (apt-get install -y buildah mmdebstrap)"
    return BuildahEngine().available()


def unreachable(url: str, timeout: float = 15.0) -> str | None:
    """Why ``url`` cannot be fetched from this machine, or None when it can.

    Asked from a fresh interpreter: in the test process another test's in-process `codi` may have left
    CODI's air-gap socket guard installed, which answers for this process, not for the machine (and not
    for the builds, which run in buildah)."""
    probe = "import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=float(sys.argv[2])).close()"
    try:
        done = subprocess.run([sys.executable, "-c", probe, url, str(timeout)], capture_output=True, text=True,
                              timeout=timeout + 10, check=False)
    except subprocess.TimeoutExpired:
        return f"{url} cannot be reached from this machine (no answer in {timeout:g} s)"
    if done.returncode == 0:
        return None
    last = (done.stderr.strip().splitlines() or ["?"])[-1]
    return f"{url} cannot be reached from this machine ({last})"
