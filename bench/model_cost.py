"""What the local model costs and gives in `codi run` (issue 23): the same run with and without it.

Usage: .venv/bin/python bench/model_cost.py [--repeat N] [--projects DIR | --no-projects] [--json]

For each demo (and each project of ../shared/projects unless --no-projects), `codi run` as a user runs it
(default settings: the model on, the shipped adapter, the memory of past runs on, one runs folder per
project) and `codi run --no-llm`, each in a fresh process, alternating, N times. Printed per project: the median wall time of both and their ratio, the adapter
version in llm_metrics.json, the model's time, whether a model sentence was kept in the summary, and the
guard's acceptance. Then the pooled figures against the targets: ratio <= 3x (median over projects),
pooled acceptance >= 0.8 and a kept model sentence in >= 80% of runs. Informational: exit 0 either way.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
PROJECTS = REPO.parent / "shared" / "projects"
CODI = [sys.executable, "-m", "codi"]


def _run(project: Path, out: Path, llm: bool) -> tuple[float, dict[str, Any]]:
    env = {k: v for k, v in os.environ.items() if k not in ("ADAPTER_PATH", "LLM_ENABLED", "LLM_ENDPOINT")}
    args = [*CODI, "run", str(project), "--out", str(out), "--json"] + ([] if llm else ["--no-llm"])
    started = time.perf_counter()
    done = subprocess.run(args, capture_output=True, text=True, env=env, timeout=600, check=False)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        return seconds, {"error": (done.stderr.strip().splitlines() or ["?"])[-1]}
    run_id = json.loads(done.stdout)["run"]["run_id"]
    meta = out / run_id / "metadata"
    llm_metrics = json.loads((meta / "llm_metrics.json").read_text(encoding="utf-8"))
    explain = json.loads((meta / "explain.json").read_text(encoding="utf-8"))
    return seconds, {"llm": llm_metrics, "kept": bool(explain.get("summary_model"))}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--projects", type=Path, default=PROJECTS)
    parser.add_argument("--no-projects", action="store_true")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    targets = sorted(p for p in (REPO / "demo").iterdir() if (p / "Dockerfile").is_file())
    if not args.no_projects and args.projects.is_dir():
        targets += sorted(p for p in args.projects.iterdir() if (p / "Dockerfile").is_file())
    rows = []
    print(f"load average {os.getloadavg()[0]:.2f} at start; {args.repeat} run(s) each way per project")
    with tempfile.TemporaryDirectory(prefix="codi-bench-model-") as scratch:
        for project in targets:
            on, off, seen = [], [], []
            for _ in range(args.repeat):
                # One runs folder per project, as a user has: from the second run on, the memory of past
                # runs has matches (default settings: the memory is on).
                s, info = _run(project, Path(scratch) / project.name, True)
                on.append(s)
                seen.append(info)
                off.append(_run(project, Path(scratch) / project.name, False)[0])
            good = [x for x in seen if "llm" in x]
            m = good[-1]["llm"] if good else {}
            row = {"project": project.name, "with_model_s": statistics.median(on),
                   "without_s": statistics.median(off), "adapter": m.get("adapter_version"),
                   "model_s": (m.get("latency_ms") or 0) / 1000, "calls": m.get("calls"),
                   "kept": sum(1 for x in good if x["kept"]), "runs": len(seen),
                   "sentences": sum(x["llm"].get("model_sentences") or 0 for x in good),
                   "accepted": sum(x["llm"].get("accepted_sentences") or 0 for x in good),
                   "errors": [x["error"] for x in seen if "error" in x]}
            row["ratio"] = row["with_model_s"] / row["without_s"] if row["without_s"] else None
            rows.append(row)
            if not args.json:
                print(f"{project.name:40s} {row['with_model_s']:6.2f} s vs {row['without_s']:6.2f} s "
                      f"= {row['ratio'] or 0:4.2f}x  model {row['model_s']:.2f} s ({row['calls']} call(s)), "
                      f"adapter {row['adapter']}, kept {row['kept']}/{row['runs']}, "
                      f"accepted {row['accepted']}/{row['sentences']}" + (f"  ERRORS {row['errors']}" if row['errors'] else ""))
    ratios = [r["ratio"] for r in rows if r["ratio"]]
    sentences, accepted = sum(r["sentences"] for r in rows), sum(r["accepted"] for r in rows)
    runs, kept = sum(r["runs"] for r in rows), sum(r["kept"] for r in rows)
    summary = {"median_ratio": statistics.median(ratios) if ratios else None,
               "acceptance": accepted / sentences if sentences else None,
               "kept_rate": kept / runs if runs else None, "projects": len(rows)}
    if args.json:
        print(json.dumps({"rows": rows, "summary": summary}, indent=2))
        return 0
    print(f"median ratio {summary['median_ratio'] or 0:.2f}x (target <= 3x) "
          f"{'ok' if (summary['median_ratio'] or 9) <= 3 else 'MISSED'}")
    print(f"pooled acceptance {summary['acceptance'] or 0:.3f} (target >= 0.8) "
          f"{'ok' if (summary['acceptance'] or 0) >= 0.8 else 'MISSED'}")
    print(f"runs with a kept model sentence {summary['kept_rate'] or 0:.2f} (target >= 0.8) "
          f"{'ok' if (summary['kept_rate'] or 0) >= 0.8 else 'MISSED'}")
    print(f"load average {os.getloadavg()[0]:.2f} at the end")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
