"""Benchmark: CODI's own CPU time per file for a warm `codi lint`, in this process (issue 22).

Lints the corpus with ``run_lint`` and renders the findings as `--format json` does, ``--repeat`` times
after one warm-up (which fills the ShellCheck cache if it is cold), and prints the CPU time per file
(user + system of this process, from getrusage: ShellCheck's own time is never in it, and a machine
busy with other work does not inflate it as it does wall time). The CLI's fixed start-up is not in
these figures (bench/startup.py and bench/lint_jobs.py measure it). ``--profile N`` runs once more under
cProfile with a process-time clock and prints the N heaviest functions by own time and by cumulative time.
Target: <= 2 ms per file. Informational: exit 0 either way.

    .venv/bin/python bench/lint_inprocess.py [--repeat R] [--limit N] [--corpus DIR] [--profile N]
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import resource
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parents[1]))
from lint_vs_hadolint import add_corpus_options, corpus_files  # noqa: E402

from codi.formats import render  # noqa: E402

try:
    from codi.rules.gc_pause import fewer_collections
except ImportError:  # a CODI from before it (to compare with)
    from contextlib import nullcontext as fewer_collections  # type: ignore[assignment]
from codi.service.lint import LintRequest, run_lint  # noqa: E402

TARGET_MS = 2.0


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def lint_once(names: list[str]) -> str:
    with fewer_collections():  # as `codi lint` runs the lint and its output
        outcome = run_lint(LintRequest(paths=names, no_fail=True, jobs=1))
        return render("json", outcome.result, color=False, quiet=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_corpus_options(parser)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--profile", type=int, default=0, metavar="N", help="print the N heaviest functions")
    args = parser.parse_args(argv)
    files = corpus_files(args)
    if not files:
        return 2
    names = [str(f) for f in files]
    n = len(names)
    reference = lint_once(names)  # warm-up: imports, the ShellCheck cache, memoized settings
    per_file = []
    for _ in range(max(args.repeat, 1)):
        start = cpu_seconds()
        output = lint_once(names)
        per_file.append((cpu_seconds() - start) / n * 1000)
        if output != reference:
            print("FAILED: a repeat printed different output")
            return 1
    median = statistics.median(per_file)
    print(f"{n} files, warm, in-process run_lint + json: CPU per file median {median:.2f} ms, "
          f"best {min(per_file):.2f} ms ({len(per_file)} runs: {', '.join(f'{x:.2f}' for x in per_file)})")
    print(f"  {'met   ' if median <= TARGET_MS else 'MISSED'}  CODI's own CPU per file (warm) <= {TARGET_MS:g} ms")
    if args.profile:
        profile = cProfile.Profile(time.process_time)
        profile.runcall(lint_once, names)
        stats = pstats.Stats(profile, stream=sys.stdout)
        stats.sort_stats("tottime").print_stats(args.profile)
        stats.sort_stats("cumulative").print_stats(args.profile)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
