"""Redaction speed: the shared corpus, and hostile inputs at two sizes (time must grow linearly).

    .venv/bin/python bench/redact.py [--corpus DIR] [--size N]

Prints MISSED when doubling an input more than triples its time (a regex that went quadratic).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from codi.telemetry.redact import redact_text

REPO = Path(__file__).resolve().parents[1]
# Each repeats a prefix that starts a shape's match and never completes it.
HOSTILE = {
    "comment words": "# password ", "curl": "curl -u ", "mysql": "mysql ", "netrc": "login a ",
    "netrc lines": "machine a\\n", "flags": "--password ", "htpasswd": "htpasswd -b ", "urls": "https://",
    "pairs": "a=", "yaml": "a: ", "env": "ENV ", "pem": "-----BEGIN PRIVATE KEY-----", "quotes": '"',
}


def _seconds(text: str) -> float:
    start = time.perf_counter()
    redact_text(text)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=REPO.parent / "shared" / "corpus" / "dockerfiles")
    parser.add_argument("--size", type=int, default=100_000, help="characters of each hostile input (then doubled)")
    args = parser.parse_args()
    files = sorted(args.corpus.glob("*.Dockerfile"))
    if files:
        text = "\n".join(p.read_text(encoding="utf-8", errors="replace") for p in files)
        took = _seconds(text)
        print(f"corpus: {len(files)} files, {len(text) / 1e6:.1f} MB in {took:.2f} s ({len(text) / 1e6 / took:.2f} MB/s)")
    else:
        print(f"corpus: none at {args.corpus} (skipped)")
    for name, unit in HOSTILE.items():
        small = unit * (args.size // len(unit))
        one, two = _seconds(small), _seconds(small * 2)
        verdict = "MISSED (superlinear)" if two > 3 * max(one, 0.005) else "linear"
        print(f"{name:14} {len(small):>8} chars {one:6.3f} s, doubled {two:6.3f} s: {verdict}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
