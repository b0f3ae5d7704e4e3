"""Benchmark: the start-up cost of the CLI, and what `codi lint` imports.

Times `codi --version` and `codi lint` of one small Dockerfile (the demo's, with a ShellCheck cache dir of its
own, warmed once) as fresh processes, ``--repeat`` times each, and prints the best and the median wall time and the median CPU
time (user + system: on a busy machine, compare these).
Then lists the heavy modules `python -X importtime -m codi lint` loads (none is the target: fastapi,
llama_cpp, jinja2, cryptography, psycopg, ray, torch belong to extras or later steps) and the ten slowest
imports by their own time. Target (issue 21): `codi --version` <= 0.2 s on an idle machine (0.16 s before the
split). Informational: exit 0 either way. Needs no corpus.

    .venv/bin/python bench/startup.py [--repeat N]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from lint_vs_hadolint import tool_env  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
FILE = REPO / "demo" / "python" / "Dockerfile"
HEAVY = ("fastapi", "starlette", "uvicorn", "llama_cpp", "jinja2", "cryptography", "psycopg", "ray", "torch",
         "obstore", "httpx")
TARGET_S = 0.2


def _time(args: list[str], env: dict[str, str], repeat: int, cpu: list[float] | None = None) -> list[float]:
    """Wall times of ``repeat`` runs; their CPU times (user + system, from wait4) go to ``cpu``."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-m", "codi", *args], stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, env=env)
        _, _, usage = os.wait4(proc.pid, 0)
        times.append(time.perf_counter() - start)
        if cpu is not None:
            cpu.append(usage.ru_utime + usage.ru_stime)
    return times


def _imports(env: dict[str, str]) -> list[tuple[int, str]]:
    """(own microseconds, module) of every module `codi lint FILE` imports."""
    result = subprocess.run([sys.executable, "-X", "importtime", "-m", "codi", "lint", str(FILE)],
                            capture_output=True, text=True, env=env, timeout=120)
    rows = []
    for line in result.stderr.splitlines():
        if line.startswith("import time:") and "|" in line and "self [us]" not in line:
            own, _, name = line[len("import time:"):].split("|")
            rows.append((int(own), name.strip()))
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=10)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as cache:
        # with Python's bytecode cache on (as an installed codi has it; see tool_env)
        env = {**tool_env(), "CODI_CACHE_DIR": cache, "PYTHONPATH": str(REPO)}
        _time(["lint", str(FILE)], env, 1)  # warm the ShellCheck cache and the OS file cache
        for label, command in (("codi --version", ["--version"]), (f"codi lint {FILE.relative_to(REPO)}",
                                                                   ["lint", str(FILE)])):
            cpu: list[float] = []
            times = _time(command, env, args.repeat, cpu)
            best, median = min(times), statistics.median(times)
            flag = "" if label != "codi --version" or median <= TARGET_S else f"  MISSED (target {TARGET_S} s)"
            print(f"{label:40s} best {best:.3f} s  median {median:.3f} s  ({args.repeat} runs){flag};"
                  f" CPU median {statistics.median(cpu):.3f} s")
        rows = _imports(env)
    heavy = sorted({name for _, name in rows if name.split(".")[0] in HEAVY})
    print(f"codi lint imports {len(rows)} modules; heavy ones: {', '.join(heavy) or 'none'}"
          + ("  MISSED" if heavy else ""))
    print("slowest own import times:")
    for own, name in sorted(rows, reverse=True)[:10]:
        print(f"  {own / 1000:7.1f} ms  {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
