"""Wall time of `codi run --no-llm` per bundled demo, interpreter start-up included.

Usage: python bench/run_demo.py [--repeat N]
Target: <= 0.5 s per project. Prints each demo's median and the ratio to the target;
informational: always exits 0.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TARGET_S = 0.5


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    codi = Path(sys.executable).with_name("codi")
    demos = sorted(p for p in (REPO / "demo").iterdir() if (p / "Dockerfile").is_file())
    # Warm-up: byte-compile and fill the OS cache, so the first demo is not charged for it.
    with tempfile.TemporaryDirectory() as out:
        subprocess.run([str(codi), "run", str(demos[0]), "--no-llm", "--out", out], capture_output=True, check=False)
    print(f"{'demo':<10} {'median s':>9} {'min s':>7}  target {TARGET_S} s")
    for demo in demos:
        times = []
        for _ in range(args.repeat):
            with tempfile.TemporaryDirectory() as out:
                start = time.perf_counter()
                proc = subprocess.run([str(codi), "run", str(demo), "--no-llm", "--out", out],
                                      capture_output=True, text=True, check=False)
                times.append(time.perf_counter() - start)
            if proc.returncode != 0:
                print(f"{demo.name}: codi run failed ({proc.returncode}): {proc.stderr.strip()[:200]}")
                break
        med = statistics.median(times)
        verdict = "ok" if med <= TARGET_S else f"MISSED ({med / TARGET_S:.1f}x the target)"
        print(f"{demo.name:<10} {med:>9.3f} {min(times):>7.3f}  {verdict}")


if __name__ == "__main__":
    main()
