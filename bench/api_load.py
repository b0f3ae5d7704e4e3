"""Load on the HTTP API: bounded request loops against `codi serve --workers 2` on 127.0.0.1.

Usage: python bench/api_load.py [--lint-requests 10000] [--analyze-requests 200] [--concurrency 8]
                                [--client raw|httpx] [--corpus DIR] [--workers 2] [--port PORT]
Phases, each after a warm-up pass that is not counted:
  /lint        corpus Dockerfiles in turn (up to 200; the demo's when the corpus is absent), default rules
  /lint no-SC  the same with `"ignore": ["SC"]` (no ShellCheck subprocess, no ShellCheck cache)
  /analyze     the python demo project
Each prints req/s, p50/p99 latency, the error count and the CPU used by the client and by the server
(the client shares the machine with the server: on a 2-core box its share is part of the result).
Targets (issue 7, /lint): >= 200 req/s, p99 <= 100 ms, 0 errors over 10,000 requests.
The client: keep-alive connections driven by one asyncio loop. ``raw`` speaks minimal HTTP/1.1 on the
sockets (cheap, so the server gets the CPU); ``httpx`` uses httpx.AsyncClient, for a cross-check.
Informational: always exits 0. Loopback only; the server it starts is stopped at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus" / "dockerfiles"
TARGET_RPS, TARGET_P99_MS = 200.0, 100.0
HOST = "127.0.0.1"
TICKS = os.sysconf("SC_CLK_TCK")

Send = Callable[[int], Awaitable[bool]]  # request number -> whether the answer was a good 200


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def start_server(port: int, workers: int, key: str, root: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "CODI_API_KEY": key, "CODI_ALLOWED_ROOTS": str(REPO / "demo"),
           "CODI_OUTPUT_ROOT": str(root / "runs"), "LLM_ENABLED": "false"}
    proc = subprocess.Popen([sys.executable, "-m", "codi", "serve", "--host", HOST, "--port", str(port),
                             "--workers", str(workers), "--log-level", "warning"], env=env, cwd=root,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://{HOST}:{port}/healthz", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.terminate()
    raise SystemExit("the server did not become healthy in 60 s")


def tree_cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and its live children (the uvicorn workers), from /proc."""
    total = 0.0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        # fields[1] is the ppid; [11], [12] utime, stime; [13], [14] waited-for children's.
        if int(entry) == pid or int(fields[1]) == pid:
            total += sum(int(f) for f in fields[11:15]) / TICKS
    return total


def client_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def encode_request(path: str, body: dict[str, object], key: str) -> bytes:
    data = json.dumps(body).encode("utf-8")
    head = (f"POST {path} HTTP/1.1\r\nHost: {HOST}\r\nX-API-Key: {key}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(data)}\r\n\r\n")
    return head.encode("ascii") + data


async def raw_connection(port: int, requests: list[bytes]) -> tuple[Send, Callable[[], None]]:
    """One keep-alive HTTP/1.1 connection: send a prepared request, read the answer by Content-Length."""
    reader, writer = await asyncio.open_connection(HOST, port)
    fresh = False  # whether the connection must be reopened before the next request

    async def send(n: int) -> bool:
        nonlocal reader, writer, fresh
        if fresh:  # after an error or a "Connection: close", never reuse a connection in an unknown state
            writer.close()
            reader, writer = await asyncio.open_connection(HOST, port)
            fresh = False
        fresh = True
        writer.write(requests[n % len(requests)])
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        headers = dict(line.lower().split(": ", 1) for line in lines[1:] if ": " in line)
        body = await reader.readexactly(int(headers.get("content-length", "0")))
        fresh = headers.get("connection") == "close"
        return status == 200 and isinstance(json.loads(body), dict)

    return send, lambda: writer.close()


async def httpx_connection(client: httpx.AsyncClient, path: str, bodies: list[bytes]) -> Send:
    async def send(n: int) -> bool:
        r = await client.post(path, content=bodies[n % len(bodies)], headers={"content-type": "application/json"})
        return r.status_code == 200 and isinstance(r.json(), dict)

    return send


async def drive(senders: list[Send], total: int) -> tuple[list[float], int, float]:
    """``total`` requests spread over the connections, each sending its next one as soon as it has an answer."""
    latencies: list[float] = []
    errors = 0
    numbers = iter(range(total))

    async def loop(send: Send) -> None:
        nonlocal errors
        for n in numbers:
            started = time.perf_counter()
            try:
                ok = await send(n)
            except (OSError, asyncio.IncompleteReadError, ValueError, httpx.HTTPError):
                ok = False
            latencies.append(time.perf_counter() - started)
            errors += 0 if ok else 1

    wall = time.perf_counter()
    await asyncio.gather(*(loop(s) for s in senders))
    return latencies, errors, time.perf_counter() - wall


async def phase(args: argparse.Namespace, path: str, bodies: list[dict[str, object]], total: int, key: str,
                server_pid: int) -> dict[str, float]:
    warmup = max(2 * len(bodies), 4 * args.concurrency)  # every body seen by both workers, caches primed
    if args.client == "raw":
        requests = [encode_request(path, b, key) for b in bodies]
        conns = [await raw_connection(args.port, requests) for _ in range(args.concurrency)]
        senders = [c[0] for c in conns]
        closers = [c[1] for c in conns]
        client = None
    else:
        client = httpx.AsyncClient(base_url=f"http://{HOST}:{args.port}", headers={"X-API-Key": key}, timeout=30,
                                   limits=httpx.Limits(max_connections=args.concurrency,
                                                       max_keepalive_connections=args.concurrency))
        encoded = [json.dumps(b).encode("utf-8") for b in bodies]
        senders = [await httpx_connection(client, path, encoded) for _ in range(args.concurrency)]
        closers = []
    try:
        await drive(senders, warmup)
        cpu0, srv0 = client_cpu_seconds(), tree_cpu_seconds(server_pid)
        latencies, errors, wall = await drive(senders, total)
        cpu1, srv1 = client_cpu_seconds(), tree_cpu_seconds(server_pid)
    finally:
        for close in closers:
            close()
        if client is not None:
            await client.aclose()
    ordered = sorted(latencies)
    return {"requests": len(ordered), "rps": len(ordered) / wall, "p50_ms": 1000 * statistics.median(ordered),
            "p99_ms": 1000 * ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))], "errors": errors,
            "wall_s": wall, "client_cpu": (cpu1 - cpu0) / wall, "server_cpu": (srv1 - srv0) / wall}


def report(name: str, r: dict[str, float], targets: bool) -> None:
    line = (f"{name:<12} {int(r['requests']):>6} req in {r['wall_s']:.1f} s: {r['rps']:.1f} req/s, "
            f"p50 {r['p50_ms']:.1f} ms, p99 {r['p99_ms']:.1f} ms, {int(r['errors'])} error(s); "
            f"CPU client {100 * r['client_cpu']:.0f}%, server {100 * r['server_cpu']:.0f}% (of one core)")
    if targets:
        missed = [what for what, bad in (("req/s", r["rps"] < TARGET_RPS), ("p99", r["p99_ms"] > TARGET_P99_MS),
                                         ("errors", r["errors"] > 0)) if bad]
        line += "  MISSED: " + ", ".join(missed) if missed else "  (targets met)"
    print(line, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--lint-requests", type=int, default=10_000)
    parser.add_argument("--analyze-requests", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=8, help="keep-alive connections (in-flight requests)")
    parser.add_argument("--client", choices=("raw", "httpx"), default="raw")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--port", type=int, default=0, help="default: a free port")
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--skip", default="", help="comma-separated phases to skip: lint, nosc, analyze")
    args = parser.parse_args()
    args.port = args.port or free_port()
    skip = set(filter(None, args.skip.split(",")))
    files = sorted(args.corpus.glob("*.Dockerfile")) if args.corpus.is_dir() else []
    # Different files in turn (up to 200), so nothing is measured on one lucky input.
    samples = files[:: max(1, len(files) // 200)][:200] if files else [REPO / "demo" / "python" / "Dockerfile"]
    bodies: list[dict[str, object]] = [{"dockerfile": f.read_text(encoding="utf-8", errors="replace")} for f in samples]
    key = secrets.token_hex(16)
    print(f"codi serve --workers {args.workers} on http://{HOST}:{args.port}; /lint bodies: {len(bodies)} file(s); "
          f"{args.client} client, {args.concurrency} connections; {os.cpu_count()} CPU(s), "
          f"load average before start {os.getloadavg()[0]:.2f}", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        proc = start_server(args.port, args.workers, key, Path(tmp))
        try:
            if "lint" not in skip:
                report("/lint", asyncio.run(phase(args, "/lint", bodies, args.lint_requests, key, proc.pid)), True)
            if "nosc" not in skip:
                no_sc: list[dict[str, object]] = [{**b, "ignore": ["SC"]} for b in bodies]
                report("/lint no-SC", asyncio.run(phase(args, "/lint", no_sc, args.lint_requests, key, proc.pid)), True)
            if "analyze" not in skip:
                demo: list[dict[str, object]] = [{"project_path": str(REPO / "demo" / "python")}]
                report("/analyze", asyncio.run(phase(args, "/analyze", demo, args.analyze_requests, key, proc.pid)),
                       False)
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


if __name__ == "__main__":
    main()
