"""Wall time of `codi run --no-llm` per bundled demo, interpreter start-up included; or, with --real,
the measured figures of `codi run --real` per demo (sizes, layers, build and rebuild times, smoke runs).

Usage: python bench/run_demo.py [--repeat N]
       python bench/run_demo.py --real [--build-network] [--demos python,node,go] [--markdown FILE]
Target (estimate mode): <= 0.5 s per project. Prints each demo's median and the ratio to the target.
Targets (--real, from issue 5): best candidate >= 50% smaller for go, >= 30% for python and node, smoke
run passed, rebuild after a source edit faster than the original's; with the demos' real dependencies
(issue 24, --build-network, AIRGAP=false for the run) the recommended candidate's rebuild at most 0.3x the
original's (its dependency install stays cached). Informational: always exits 0.
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
TARGET_S = 0.5
SIZE_TARGETS = {"go": 50.0, "python": 30.0, "node": 30.0}  # percent smaller, best candidate
REBUILD_RATIO = 0.3  # recommended candidate's rebuild / original's, with dependencies installed (issue 24)


def _codi() -> str:
    return str(Path(sys.executable).with_name("codi"))


def estimate_mode(repeat: int) -> None:
    codi = _codi()
    demos = sorted(p for p in (REPO / "demo").iterdir() if (p / "Dockerfile").is_file())
    # Warm-up: byte-compile and fill the OS cache, so the first demo is not charged for it.
    with tempfile.TemporaryDirectory() as out:
        subprocess.run([codi, "run", str(demos[0]), "--no-llm", "--out", out], capture_output=True, check=False)
    print(f"{'demo':<10} {'median s':>9} {'min s':>7}  target {TARGET_S} s")
    for demo in demos:
        times = []
        for _ in range(repeat):
            with tempfile.TemporaryDirectory() as out:
                start = time.perf_counter()
                proc = subprocess.run([codi, "run", str(demo), "--no-llm", "--out", out],
                                      capture_output=True, text=True, check=False)
                times.append(time.perf_counter() - start)
            if proc.returncode != 0:
                print(f"{demo.name}: codi run failed ({proc.returncode}): {proc.stderr.strip()[:200]}")
                break
        med = statistics.median(times)
        verdict = "ok" if med <= TARGET_S else f"MISSED ({med / TARGET_S:.1f}x the target)"
        print(f"{demo.name:<10} {med:>9.3f} {min(times):>7.3f}  {verdict}")


def _fmt_s(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"


def _mb(value: int | None) -> str:
    return "n/a" if value is None else f"{value / 1e6:.1f} MB"


def measured_rows(demo: str, metrics: dict[str, Any], recommended: str | None) -> tuple[list[str], str]:
    """Markdown table rows for one demo's metrics.json, and a verdict line against the issue's targets."""
    orig = metrics["original"]
    rows = []
    entries = [("original", orig)] + [(c["candidate_id"], c) for c in metrics["candidates"]]
    for name, e in entries:
        smoke = (e.get("smoke") or {}).get("status", "n/a")
        delta = "" if e.get("size_delta_pct") is None else f"{e['size_delta_pct']:+.1f}%"
        mark = " (recommended)" if name == recommended else ""
        rows.append(f"| {demo} | {name}{mark} | {e['kind']} | {_mb(e.get('size_bytes'))} | {delta} | "
                    f"{e.get('layers')} | {_fmt_s(e.get('build_seconds'))} | {_fmt_s(e.get('rebuild_seconds'))} | "
                    f"{smoke} |")
    ok = [c for c in metrics["candidates"] if c["kind"] == "measured"
          and (c.get("smoke") or {}).get("status") == "passed" and c.get("size_delta_pct") is not None]
    if orig["kind"] != "measured" or not ok:
        return rows, f"{demo}: no measured candidate to compare ({orig['kind']} original)"
    best = min(ok, key=lambda c: c["size_delta_pct"])
    smaller = -best["size_delta_pct"]
    target = SIZE_TARGETS.get(demo, 30.0)
    faster = (best.get("rebuild_seconds") is not None and orig.get("rebuild_seconds") is not None
              and best["rebuild_seconds"] < orig["rebuild_seconds"])
    verdict = (f"{demo}: best {best['candidate_id']} {smaller:.1f}% smaller (target >= {target:.0f}%: "
               f"{'met' if smaller >= target else 'MISSED'}), smoke passed, rebuild "
               f"{_fmt_s(best.get('rebuild_seconds'))} s vs original {_fmt_s(orig.get('rebuild_seconds'))} s "
               f"({'faster' if faster else 'NOT faster'})")
    pick = next((c for c in ok if c["candidate_id"] == recommended), None)
    if pick is not None and pick.get("rebuild_seconds") and orig.get("rebuild_seconds"):
        ratio = pick["rebuild_seconds"] / orig["rebuild_seconds"]
        verdict += (f"; recommended {pick['candidate_id']} rebuilds in {ratio:.2f}x the original's time "
                    f"(target <= {REBUILD_RATIO}: {'met' if ratio <= REBUILD_RATIO else 'MISSED'})")
    return rows, verdict


def real_mode(demos: list[str], markdown: Path | None, build_network: bool = False) -> None:
    codi = _codi()
    extra = ["--build-network"] if build_network else []
    env = {**os.environ, "AIRGAP": "false"} if build_network else None
    lines = ["| demo | image | numbers | size | vs original | layers | build s | rebuild s | smoke |",
             "|---|---|---|---|---|---|---|---|---|"]
    verdicts = []
    with tempfile.TemporaryDirectory() as out:
        for demo in demos:
            proc = subprocess.run([codi, "run", str(REPO / "demo" / demo), "--real", *extra, "--no-llm",
                                   "--disable-rag", "--out", out], capture_output=True, text=True, check=False, env=env)
            runs = sorted(Path(out).glob(f"*-{demo}-*"))
            if proc.returncode != 0 or not runs:
                verdicts.append(f"{demo}: codi run --real failed ({proc.returncode}): {proc.stderr.strip()[-300:]}")
                continue
            meta = runs[-1] / "metadata"
            metrics = json.loads((meta / "metrics.json").read_text())
            run = json.loads((meta / "run.json").read_text())
            rows, verdict = measured_rows(demo, metrics, (run.get("recommendation") or {}).get("candidate_id"))
            lines += rows
            verdicts.append(verdict)
    stored = _stored_images()
    if stored is not None:  # buildah's cache check walks every stored image: a full store slows each build
        verdicts.append(f"engine storage: {stored} images (buildah images -a) after the run")
    text = "\n".join(lines + [""] + [f"- {v}" for v in verdicts]) + "\n"
    print(text)
    if markdown is not None:
        markdown.write_text(text, encoding="utf-8")


def _stored_images() -> int | None:
    """How many images buildah's storage holds (intermediate ones included), or None without buildah."""
    try:
        proc = subprocess.run(["buildah", "images", "-a", "-q"], capture_output=True, text=True, timeout=60,
                              check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return len(proc.stdout.split()) if proc.returncode == 0 else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--real", action="store_true", help="measured mode: real builds (buildah or docker)")
    parser.add_argument("--demos", default="python,node,go", help="with --real: which demos")
    parser.add_argument("--markdown", type=Path, help="with --real: also write the table to this file")
    parser.add_argument("--build-network", action="store_true",
                        help="with --real: RUN steps reach the package registries (the demos' dependencies)")
    args = parser.parse_args()
    if args.real:
        real_mode([d.strip() for d in args.demos.split(",") if d.strip()], args.markdown, args.build_network)
    else:
        estimate_mode(args.repeat)


if __name__ == "__main__":
    main()
