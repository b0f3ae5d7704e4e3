"""Benchmark: `codi lint --jobs 1` vs `--jobs 2` over the shared corpus, warm, against hadolint.

In one invocation, with a ShellCheck cache dir of its own (CODI_CACHE_DIR):
  1. one warm-up `codi lint --format json --jobs 1` (fills the cache: the runs below are warm);
  2. `codi lint --format json --jobs 1` and `--jobs 2`, alternated, ``--repeat`` times each: wall
     time and CPU time (user + system of codi and its worker and ShellCheck processes, from wait4);
     every run must print the same bytes as the first;
  3. `hadolint --no-fail -f json` over the same files once.
Prints the best and the median wall time of each, the speed-up (jobs 1 / jobs 2), the CPU-time
ratio (what the pool costs in total work) and codi / hadolint. It also times the fixed cost of a
command (`codi lint` of the smallest file: interpreter, imports, settings, output), which `--jobs`
cannot shrink, and prints the speed-up of the rest (the linting itself) beside the whole command's, and
the warm time per file (wall and CPU, with and without that fixed cost) beside hadolint's. Targets: >= 1.8x
on an idle 2-core machine, warm (issue 15); <= 2 ms of CODI's own CPU per file, warm (issue 22).
The machine may be shared: the load average is printed at the start and the end; compare CPU times and
ratios rather than wall times under load. Informational: the exit status is 0 unless the outputs differ.

    .venv/bin/python bench/lint_jobs.py [--limit N] [--repeat R] [--corpus DIR]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from lint_vs_hadolint import (  # noqa: E402
    REPO,
    ProcessRun,
    add_corpus_options,
    corpus_files,
    find_tool,
    run_measured,
    tool_env,
)

TARGET = 1.8
PER_FILE_TARGET_MS = 2.0  # issue 22: CODI's own CPU time per file, warm


def summary(label: str, runs: list[ProcessRun]) -> tuple[float, float]:
    walls = [r.seconds for r in runs]
    cpus = [r.cpu_seconds for r in runs]
    print(f"{label}: best {min(walls):.2f} s, median {statistics.median(walls):.2f} s wall;"
          f" CPU median {statistics.median(cpus):.2f} s ({len(runs)} runs)")
    return min(walls), statistics.median(cpus)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_corpus_options(parser)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    files = corpus_files(args)
    if not files:
        return 2
    codi = find_tool("codi")
    if codi is None:
        print("codi: SKIPPED, no `codi` executable (run `make install`)")
        return 0
    print(f"{len(files)} files; {os.cpu_count()} CPUs; load average {os.getloadavg()[0]:.2f} at start")
    names = [str(f) for f in files]
    with tempfile.TemporaryDirectory(prefix="codi-bench-jobs-") as tmp:
        env = {**tool_env(), "CODI_CACHE_DIR": tmp}
        base = [codi, "lint", "--format", "json", "--no-fail"]
        reference = run_measured([*base, "--jobs", "1", *names], REPO, env)
        runs: dict[int, list[ProcessRun]] = {1: [], 2: []}
        smallest = str(min(files, key=lambda f: f.stat().st_size))
        fixed = [run_measured([*base, "--jobs", "1", smallest], REPO, env) for _ in range(max(args.repeat, 3))]
        for _ in range(max(args.repeat, 1)):
            for jobs in (1, 2):
                run = run_measured([*base, "--jobs", str(jobs), *names], REPO, env)
                if run.stdout != reference.stdout or run.returncode != reference.returncode:
                    print(f"FAILED: --jobs {jobs} printed different output (exit {run.returncode})")
                    return 1
                runs[jobs].append(run)
    print("identical output, --jobs 1 and --jobs 2")
    wall1, cpu1 = summary("codi lint --jobs 1 (warm)", runs[1])
    wall2, cpu2 = summary("codi lint --jobs 2 (warm)", runs[2])
    speedup = wall1 / wall2
    print(f"  speed-up jobs 1 -> 2: {speedup:.2f}x wall (best runs); CPU jobs2/jobs1 {cpu2 / cpu1:.2f}")
    print(f"  {'met   ' if speedup >= TARGET else 'MISSED'}  target >= {TARGET}x (idle 2-core machine)")
    start = min(r.seconds for r in fixed)
    if wall2 > start:
        print(f"  fixed cost of a command (one small file): {start:.2f} s; the linting alone: jobs 1 "
              f"{wall1 - start:.2f} s, jobs 2 {wall2 - start:.2f} s = {(wall1 - start) / (wall2 - start):.2f}x;"
              f" the bound for the whole command at 2 jobs: {wall1 / (start + (wall1 - start) / 2):.2f}x")
    n = len(files)
    cpu_fixed = min(r.cpu_seconds for r in fixed)
    own_ms = max(cpu1 - cpu_fixed, 0.0) / n * 1000
    print(f"warm per file: jobs 1 {wall1 / n * 1000:.2f} ms wall, {cpu1 / n * 1000:.2f} ms CPU "
          f"({own_ms:.2f} ms CPU without the command's fixed cost); jobs 2 {wall2 / n * 1000:.2f} ms wall")
    print(f"  {'met   ' if own_ms <= PER_FILE_TARGET_MS else 'MISSED'}  CODI's own time per file (warm, CPU) "
          f"<= {PER_FILE_TARGET_MS:g} ms")
    hadolint = find_tool("hadolint")
    if hadolint is None:
        print("hadolint: SKIPPED (not installed)")
        return 0
    had = run_measured([hadolint, "--no-fail", "-f", "json", *names], REPO)
    print(f"hadolint -f json: {had.seconds:.2f} s wall, {had.cpu_seconds:.2f} s CPU, exit {had.returncode}")
    print(f"  codi/hadolint wall: jobs 1 {wall1 / had.seconds:.3f}, jobs 2 {wall2 / had.seconds:.3f};"
          f" CPU: jobs 1 {cpu1 / had.cpu_seconds:.3f}, jobs 2 {cpu2 / had.cpu_seconds:.3f}")
    print(f"  hadolint per file: {had.seconds / n * 1000:.2f} ms wall, {had.cpu_seconds / n * 1000:.2f} ms CPU;"
          f" speed-up of codi --jobs 2 over hadolint: {had.seconds / wall2:.2f}x wall")
    print(f"load average {os.getloadavg()[0]:.2f} at the end")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
