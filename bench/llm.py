"""Benchmark `codi llm rank` / `explain` with the embedded model on the demos.

Usage: .venv/bin/python bench/llm.py [--repeat N] [--json] [--projects DIR | --no-projects]
Reports p50/p95 latency of rank and explain (model loaded once per process, load time shown
separately), tokens per second and the rate of valid JSON rank answers. Explain uses the defaults
of `codi llm explain` (the model words the best candidate; the others get CODI's sentences).
Then the guard's acceptance rate (accepted model sentences / model sentences, as
``llm_metrics.acceptance``) over the demos and the shared projects (../shared/projects, skipped
when absent): one explain per project.
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
from codi.service.assist import AssistOptions, assist  # noqa: E402
from codi.service.assist_inputs import AssistInputs, inputs_from_project  # noqa: E402
from codi.service.errors import InputError  # noqa: E402

PROJECTS = REPO.parent / "shared" / "projects"


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def _folders(root: Path) -> list[Path]:
    return sorted(p for p in root.iterdir() if (p / "Dockerfile").is_file())


def _acceptance(demos: list[tuple[str, AssistInputs]], projects: list[Path]) -> dict[str, Any]:
    """One explain per project (the model words the best candidate): accepted / written sentences."""
    rows: dict[str, str] = {}
    written = accepted = 0
    skipped: list[str] = []
    todo: list[tuple[str, AssistInputs | Path]] = [*demos, *((p.name, p) for p in projects)]
    for name, given in todo:
        if isinstance(given, Path):
            try:
                given = inputs_from_project(given)
            except (InputError, OSError, ValueError) as exc:
                skipped.append(f"{name}: {str(exc)[:80]}")
                continue
        m = assist(given.record, given.metrics, given.findings, given.text,
                   AssistOptions(rag=False, backend=Backend(LLMSettings()))).llm_metrics
        written += m["model_sentences"]
        accepted += m["accepted_sentences"]
        rows[name] = f"{m['accepted_sentences']}/{m['model_sentences']}"
    return {"acceptance": round(accepted / written, 3) if written else None,
            "acceptance_sentences": f"{accepted}/{written}", "acceptance_projects": len(rows),
            "acceptance_by_project": rows, "acceptance_skipped": skipped}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--projects", type=Path, default=PROJECTS, help="more projects for the acceptance rate")
    parser.add_argument("--no-projects", action="store_true", help="the demos only")
    args = parser.parse_args()
    install()
    load_before = round(os.getloadavg()[0], 2)
    n_threads = threads()
    started = time.perf_counter()
    model = embedded()
    load_s = time.perf_counter() - started
    inputs = [(demo.name, inputs_from_project(demo)) for demo in _folders(REPO / "demo")]
    rank_s: list[float] = []
    explain_s: list[float] = []
    tokens = 0
    gen_ms = 0
    valid = asked = 0
    for _ in range(args.repeat):
        for _name, given in inputs:
            record = given.record
            for explain in (False, True):
                backend = Backend(LLMSettings())  # endpoints ignored: this measures the embedded model
                t0 = time.perf_counter()
                res = assist(given.record, given.metrics, given.findings, given.text,
                             AssistOptions(rag=False, explain=explain, backend=backend))
                elapsed = time.perf_counter() - t0
                (explain_s if explain else rank_s).append(elapsed)
                tokens += res.llm_metrics["completion_tokens"]
                gen_ms += res.llm_metrics["latency_ms"]
                # The model is asked to rank only where a candidate ties with the best (llm_metrics
                # skipped_calls says when it was not): the rate is over the calls made.
                if not explain and len(record.candidates) >= 2 and res.llm_metrics["calls"]:
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
    extra = [] if args.no_projects or not args.projects.is_dir() else _folders(args.projects)
    report.update(_acceptance(inputs, extra))
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        for key, value in report.items():
            if key == "acceptance_by_project":
                value = "  ".join(f"{k} {v}" for k, v in value.items())
            print(f"{key:16} {value}")
    ok = report["rank_p50_s"] <= 3 and report["explain_p50_s"] <= 6 and report["json_valid_rate"] in (1.0, None)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
