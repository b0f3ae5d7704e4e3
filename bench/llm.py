"""Benchmark `codi llm rank` / `explain` with the embedded model on the demos.

Usage: .venv/bin/python bench/llm.py [--repeat N] [--json]
Reports p50/p95 latency of rank and explain (model loaded once per process, load time shown
separately), tokens per second and the rate of valid JSON rank answers. Explain uses the defaults
of `codi llm explain` (the model words the best candidate; the others get CODI's sentences).
Targets on 2 cores: rank p50 <= 3 s, explain p50 <= 6 s, 100% valid JSON. The 1-minute load
average before and after and the llama.cpp thread count are printed: on a shared machine they
explain most of the spread.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from codi.llm.airgap import install  # noqa: E402
from codi.llm.backend import Backend, LLMSettings  # noqa: E402
from codi.llm.runtime import embedded, threads  # noqa: E402
from codi.service.analyze import analyze  # noqa: E402
from codi.service.assist import AssistOptions, assist  # noqa: E402
from codi.service.candidates import finding_record  # noqa: E402
from codi.service.run import RunOptions, run_project  # noqa: E402


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    install()
    load_before = round(os.getloadavg()[0], 2)
    n_threads = threads()
    started = time.perf_counter()
    model = embedded()
    load_s = time.perf_counter() - started
    inputs = []
    for demo in sorted(p for p in (REPO / "demo").iterdir() if (p / "Dockerfile").is_file()):
        result = run_project(demo, RunOptions(dry_run=True, llm=False, rag=False))
        a = analyze(demo, None, None, None)
        inputs.append((demo.name, result.record, result.metrics, [finding_record(f) for f in a.findings], a.text))
    rank_s: list[float] = []
    explain_s: list[float] = []
    tokens = 0
    gen_ms = 0
    valid = asked = 0
    for _ in range(args.repeat):
        for _name, record, metrics, findings, text in inputs:
            for explain in (False, True):
                backend = Backend(LLMSettings())  # endpoints ignored: this measures the embedded model
                t0 = time.perf_counter()
                res = assist(record, metrics, findings, text,
                             AssistOptions(rag=False, explain=explain, backend=backend))
                elapsed = time.perf_counter() - t0
                (explain_s if explain else rank_s).append(elapsed)
                tokens += res.llm_metrics["completion_tokens"]
                gen_ms += res.llm_metrics["latency_ms"]
                if not explain and len(record.candidates) >= 2:
                    asked += 1
                    valid += res.mode == "llm"
    report: dict[str, Any] = {
        "model_id": model.model_id, "load_s": round(load_s, 2), "demos": [i[0] for i in inputs],
        "threads": n_threads, "load_avg_before": load_before, "load_avg_after": round(os.getloadavg()[0], 2),
        "repeat": args.repeat,
        "rank_p50_s": round(statistics.median(rank_s), 2), "rank_p95_s": round(_pct(rank_s, 0.95), 2),
        "explain_p50_s": round(statistics.median(explain_s), 2),
        "explain_p95_s": round(_pct(explain_s, 0.95), 2),
        "tokens_per_s": round(tokens / (gen_ms / 1000), 1) if gen_ms else None,
        "json_valid_rate": round(valid / asked, 3) if asked else None,
    }
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        for key, value in report.items():
            print(f"{key:16} {value}")
    ok = report["rank_p50_s"] <= 3 and report["explain_p50_s"] <= 6 and report["json_valid_rate"] in (1.0, None)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
