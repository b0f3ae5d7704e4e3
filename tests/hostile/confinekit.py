"""Hostile projects for the confinement tests: found files that are links out, FIFOs, devices, loops."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

# Outside every project: what a link out would leak if it were followed.
MARKER = "OUTSIDE-MARKER-7f3a91"
PASSWD_LIKE = f"{MARKER}:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"
GOOD = 'FROM alpine:3.19\nUSER 65534\nCMD ["true"]\n'  # no findings
# The caller's settings must not change what the commands do.
CLEAN = ("CODI_SELECT", "CODI_EXTEND_SELECT", "CODI_IGNORE", "CODI_FAILURE_THRESHOLD", "CODI_NO_FAIL",
         "CODI_CONFIG", "CODI_MAX_FILE_SIZE", "NO_COLOR", "CODI_API_KEY", "CODI_ALLOWED_ROOTS")


def outside_file(tmp: Path) -> Path:
    """A file outside the projects, with a marker no output may ever contain."""
    path = tmp / "outside" / "passwd"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(PASSWD_LIKE, encoding="utf-8")
    return path


def repo(root: Path, files: dict[str, str] | None = None) -> Path:
    """A folder marked as a repository root (config search stops there) holding ``files``."""
    (root / ".git").mkdir(parents=True, exist_ok=True)
    for name, text in (files or {}).items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def fifo(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    os.mkfifo(path)
    return path


def link(path: Path, target: Path | str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.symlink_to(target)
    return path


def env(**extra: str) -> dict[str, str]:
    out = {k: v for k, v in os.environ.items() if k not in CLEAN}
    out.update(extra)
    return out


def codi(*args: str, cwd: Path | None = None, timeout: float = 120, **extra: str) -> subprocess.CompletedProcess[str]:
    """`codi ARGS` in a subprocess: a command that hangs (a FIFO read) fails the test by its timeout
    instead of hanging the suite."""
    return subprocess.run([sys.executable, "-m", "codi", *args], capture_output=True, text=True, cwd=cwd,
                          env=env(**extra), timeout=timeout, check=False)


def files_containing(folder: Path, needle: str) -> list[Path]:
    """Every file under ``folder`` whose bytes contain ``needle``."""
    data = needle.encode("utf-8")
    return [p for p in folder.rglob("*") if p.is_file() and not p.is_symlink() and data in p.read_bytes()]
