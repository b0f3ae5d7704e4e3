"""Load on the HTTP API: bounded request loops against `codi serve --workers 2` on 127.0.0.1.

Usage: python bench/api_load.py [--lint-requests 10000] [--analyze-requests 200] [--concurrency 16]
                                [--corpus DIR] [--workers 2]
Phases: POST /lint cycling through up to 200 corpus Dockerfiles (the demo's when the corpus is absent), then
POST /analyze on the python demo. Prints req/s, p50/p99 latency and the error count per phase.
Targets (issue 7, /lint): >= 200 req/s, p99 <= 100 ms, 0 errors over 10,000 requests.
Informational: always exits 0. Loopback only; the server it starts is stopped at the end.
"""

from __future__ import annotations

import argparse
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus" / "dockerfiles"
TARGET_RPS, TARGET_P99_MS = 200.0, 100.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(port: int, workers: int, key: str, root: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "CODI_API_KEY": key, "CODI_ALLOWED_ROOTS": str(REPO / "demo"),
           "CODI_OUTPUT_ROOT": str(root / "runs"), "LLM_ENABLED": "false"}
    proc = subprocess.Popen([sys.executable, "-m", "codi", "serve", "--port", str(port), "--workers", str(workers),
                             "--log-level", "warning"], env=env, cwd=root, stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.terminate()
    raise SystemExit("the server did not become healthy in 60 s")


def load(url: str, path: str, bodies: list[dict[str, object]], total: int, concurrency: int,
         key: str) -> dict[str, float]:
    """Send ``total`` requests (cycling through ``bodies``) from ``concurrency`` threads, one client each."""
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    counter = iter(range(total))

    def worker() -> None:
        nonlocal errors
        with httpx.Client(base_url=url, headers={"X-API-Key": key}, timeout=30) as client:
            while True:
                with lock:
                    n = next(counter, None)
                if n is None:
                    return
                started = time.perf_counter()
                try:
                    ok = client.post(path, json=bodies[n % len(bodies)]).status_code == 200
                except httpx.HTTPError:
                    ok = False
                elapsed = time.perf_counter() - started
                with lock:
                    latencies.append(elapsed)
                    errors += 0 if ok else 1

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    wall = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - wall
    ordered = sorted(latencies)
    return {"requests": len(ordered), "rps": len(ordered) / wall, "p50_ms": 1000 * statistics.median(ordered),
            "p99_ms": 1000 * ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))], "errors": errors,
            "wall_s": wall}


def report(name: str, r: dict[str, float], targets: bool) -> None:
    line = (f"{name:<9} {int(r['requests']):>6} req in {r['wall_s']:.1f} s: {r['rps']:.1f} req/s, "
            f"p50 {r['p50_ms']:.1f} ms, p99 {r['p99_ms']:.1f} ms, {int(r['errors'])} error(s)")
    if targets:
        missed = [what for what, bad in (("req/s", r["rps"] < TARGET_RPS), ("p99", r["p99_ms"] > TARGET_P99_MS),
                                         ("errors", r["errors"] > 0)) if bad]
        line += "  MISSED: " + ", ".join(missed) if missed else "  (targets met)"
    print(line, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lint-requests", type=int, default=10_000)
    parser.add_argument("--analyze-requests", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    args = parser.parse_args()
    files = sorted(args.corpus.glob("*.Dockerfile")) if args.corpus.is_dir() else []
    # Different files in turn (up to 200), so nothing is measured on one lucky input.
    samples = files[:: max(1, len(files) // 200)][:200] if files else [REPO / "demo" / "python" / "Dockerfile"]
    bodies: list[dict[str, object]] = [{"dockerfile": f.read_text(encoding="utf-8", errors="replace")} for f in samples]
    key = secrets.token_hex(16)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    print(f"codi serve --workers {args.workers} on {url}; /lint bodies: {len(bodies)} corpus file(s); "
          f"concurrency {args.concurrency}; {os.cpu_count()} CPU(s)", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        proc = start_server(port, args.workers, key, Path(tmp))
        try:
            load(url, "/lint", bodies, 50, 4, key)  # warm-up: imports, caches
            report("/lint", load(url, "/lint", bodies, args.lint_requests, args.concurrency, key), True)
            demo: list[dict[str, object]] = [{"project_path": str(REPO / "demo" / "python")}]
            report("/analyze", load(url, "/analyze", demo, args.analyze_requests, args.concurrency, key), False)
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


if __name__ == "__main__":
    main()
