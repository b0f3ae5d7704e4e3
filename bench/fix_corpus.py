"""`codi lint --fix` over the shared corpus vs `codi lint` over the same files, in the same run.

Usage: python bench/fix_corpus.py [--corpus DIR] [--limit N]
Both run as one `codi` process each, on a scratch copy of the corpus (the fix run rewrites it).
Target: fix time <= 2x lint time. Informational: always exits 0.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = REPO.parent / "shared" / "corpus" / "dockerfiles"
TARGET_RATIO = 2.0


def _timed(cmd: list[str]) -> tuple[float, int]:
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, check=False)
    return time.perf_counter() - start, proc.returncode


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--limit", type=int, default=0)
    args = parser.parse_args()
    files = sorted(args.corpus.glob("*.Dockerfile"))[: args.limit or None]
    if not files:
        print(f"no corpus files under {args.corpus}")
        return
    codi = str(Path(sys.executable).with_name("codi"))
    with tempfile.TemporaryDirectory() as tmp:
        copies = []
        for f in files:
            shutil.copy2(f, Path(tmp) / f.name)
            copies.append(str(Path(tmp) / f.name))
        lint_s, lint_rc = _timed([codi, "lint", "--format", "json", "--no-fail", *copies])
        fix_s, fix_rc = _timed([codi, "lint", "--fix", "--format", "json", "--no-fail", *copies])
        changed = sum(1 for f, c in zip(files, copies, strict=True) if f.read_bytes() != Path(c).read_bytes())
    ratio = fix_s / lint_s if lint_s else float("inf")
    print(f"files: {len(files)}, changed by --fix: {changed} ({100 * changed / len(files):.0f}%)")
    print(f"codi lint:       {lint_s:6.2f} s (exit {lint_rc})")
    print(f"codi lint --fix: {fix_s:6.2f} s (exit {fix_rc})")
    verdict = "ok" if ratio <= TARGET_RATIO else "MISSED"
    print(f"ratio fix/lint:  {ratio:6.2f}x (target <= {TARGET_RATIO}x) {verdict}")


if __name__ == "__main__":
    main()
