"""Benchmark: `codi scan` of the shared corpus as a fleet (one repository per file), cold and warm,
with `--engine local` and `--engine ray`.

Each corpus file becomes a repository folder holding it as its Dockerfile. For each engine, in a
fresh output root and with a ShellCheck cache dir of its own (nothing cached anywhere):
  1. cold: `codi scan --json --engine E --jobs J` lints every distinct content;
  2. warm: the same command again: every repository must be reported `cached` (nothing re-linted).
Wall time and CPU time (user + system of codi and the children it reaped, from wait4: the driver's
own work; neither engine's worker processes are counted, so it is not the scan's total CPU).
The engines must report the same statuses, keys and finding counts. Informational: the exit status
is 0 unless a scan fails or the engines disagree.

    .venv/bin/python bench/scan.py [--limit N] [--jobs J] [--engines local,ray] [--corpus DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

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


def make_fleet(files: list[Path], root: Path) -> Path:
    lines = []
    for n, src in enumerate(files):
        folder = root / "repos" / f"r{n:04d}"
        folder.mkdir(parents=True)
        shutil.copyfile(src, folder / "Dockerfile")
        lines.append(str(folder))
    manifest = root / "repos.txt"
    manifest.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return manifest


def scan(codi: str, manifest: Path, out: Path, engine: str, jobs: int, env: dict[str, str]) -> tuple[ProcessRun,
                                                                                                     dict[str, Any]]:
    cmd = [codi, "scan", "--json", "--manifest", str(manifest), "--engine", engine, "--jobs", str(jobs),
           "--out", str(out)]
    run = run_measured(cmd, REPO, env)
    try:
        payload: dict[str, Any] = json.loads(run.stdout)
    except json.JSONDecodeError:
        payload = {"status": f"no JSON (exit {run.returncode}): {run.stderr.strip()[-400:]}", "repos": []}
    return run, payload


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_corpus_options(parser)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--engines", default="local,ray")
    args = parser.parse_args(argv)
    files = corpus_files(args)
    if not files:
        return 2
    codi = find_tool("codi")
    if codi is None:
        print("codi: SKIPPED, no `codi` executable (run `make install`)")
        return 0
    engines = [e for e in args.engines.split(",") if e]
    print(f"{len(files)} repositories (one corpus file each); --jobs {args.jobs}; {os.cpu_count()} CPUs; "
          f"load average {os.getloadavg()[0]:.2f} at start")
    failed = False
    results: dict[str, list[tuple[Any, ...]]] = {}
    with tempfile.TemporaryDirectory(prefix="codi-bench-scan-") as tmp:
        manifest = make_fleet(files, Path(tmp))
        for engine in engines:
            env = tool_env(drop=("RAY_ADDRESS",))
            env["CODI_CACHE_DIR"] = str(Path(tmp) / f"sc-cache-{engine}")
            out = Path(tmp) / f"out-{engine}"
            for phase in ("cold", "warm"):
                run, payload = scan(codi, manifest, out, engine, args.jobs, env)
                repos = payload.get("repos", [])
                counts = {s: sum(r["status"] == s for r in repos) for s in ("ok", "cached", "failed")}
                print(f"{engine:<5} {phase}: {run.seconds:6.2f} s wall, {run.cpu_seconds:6.2f} s CPU, "
                      f"exit {run.returncode}, {payload.get('status')}: {counts['ok']} linted, "
                      f"{counts['cached']} cached, {counts['failed']} failed "
                      f"({len(files) / run.seconds:.0f} repos/s)")
                if run.returncode != 0 or counts["failed"]:
                    failed = True
                if phase == "warm" and counts["cached"] != len(files):
                    print(f"  ERROR: the warm scan re-linted {len(files) - counts['cached']} repositories")
                    failed = True
                if phase == "cold":
                    results[engine] = [(r["name"], r["status"], r["key"], r["findings"]) for r in repos]
    if len(results) > 1:
        first, *rest = results
        same = all(results[e] == results[first] for e in rest)
        print(f"results identical across {', '.join(results)}: {'yes' if same else 'NO'}")
        failed = failed or not same
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
