"""Issue 19 §3: a `--jobs` worker, a fork server or a ShellCheck process never outlives the command
that started it (kill -9 of the command runs no clean-up of its own); and `codi scan` fails a
repository whose lint failed inside instead of counting it as scanned."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from boundskit import laughs
from typer.testing import CliRunner

import codi.cli.scan_cmds  # noqa: F401  (attaches `scan` to the app)
from codi.cli.app import app
from codi.rules.registry import get_rule

BLOCK = ("FROM debian:12 AS build{n}\nRUN apt-get update && apt-get install -y gcc make curl && echo {n} $HOME\n"
         "COPY . /src\nWORKDIR /src\nRUN make -j4 && make install && rm -rf /tmp/build{n}\n")


def _descendants(pid: int) -> set[int]:
    """Every live process below ``pid`` (children, their children, ...), from /proc."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[-1].split()
        if fields and fields[0] != "Z":
            parents[int(entry)] = int(fields[1])
    found: set[int] = set()
    frontier = {pid}
    while frontier:
        frontier = {p for p, parent in parents.items() if parent in frontier and p not in found}
        found |= frontier
    return found


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[-1].split()[0] != "Z"


def _kill_and_wait(proc: subprocess.Popen[bytes], min_children: int) -> set[int]:
    """Wait for ``min_children`` processes under ``proc``, kill -9 it, return what is left after 5 s."""
    deadline = time.monotonic() + 90
    seen: set[int] = set()
    while time.monotonic() < deadline and len(seen) < min_children and proc.poll() is None:
        seen |= _descendants(proc.pid)
        time.sleep(0.1)
    assert len(seen) >= min_children, "the workers never started"
    seen |= _descendants(proc.pid)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    gone_by = time.monotonic() + 5
    while time.monotonic() < gone_by and any(_alive(p) for p in seen):
        time.sleep(0.1)
    left = {p for p in seen if _alive(p)}
    for p in left:  # do not leave them to the next test
        os.kill(p, signal.SIGKILL)
    return left


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc and PR_SET_PDEATHSIG are Linux's")
def test_kill_9_of_lint_leaves_no_worker(tmp_path: Path) -> None:
    for n in range(300):  # ~3 MB: several batches, so a pool of 2 workers starts
        (tmp_path / f"d{n:03d}").mkdir()
        (tmp_path / f"d{n:03d}" / "Dockerfile").write_text(BLOCK.format(n=n) * 20, encoding="utf-8")
    proc = subprocess.Popen([sys.executable, "-m", "codi", "lint", "--no-cache", "--jobs", "2", "-q", str(tmp_path)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    assert _kill_and_wait(proc, min_children=2) == set()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc and PR_SET_PDEATHSIG are Linux's")
def test_kill_9_of_scan_leaves_no_fork_server(tmp_path: Path) -> None:
    repos = []
    for n in range(40):
        repo = tmp_path / "src" / f"repo{n:02d}"
        repo.mkdir(parents=True)
        (repo / "Dockerfile").write_text(BLOCK.format(n=n) * 30, encoding="utf-8")
        repos.append(repo)
    manifest = tmp_path / "fleet.txt"
    manifest.write_text("".join(f"{r}\n" for r in repos), encoding="utf-8")
    env = {**os.environ, "CODI_CACHE_DIR": str(tmp_path / "cache")}
    proc = subprocess.Popen([sys.executable, "-m", "codi", "scan", "--manifest", str(manifest), "--out",
                             str(tmp_path / "out"), "--jobs", "2"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    assert _kill_and_wait(proc, min_children=3) == set()  # the fork server and its two workers


def test_scan_fails_a_repository_whose_lint_failed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CODI_CACHE_DIR", str(tmp_path / "cache"))
    rule = get_rule("DL3006")
    assert rule is not None

    def explode(self: object, ctx: object) -> list[object]:
        raise RuntimeError("kaboom")

    monkeypatch.setattr(rule, "check", explode)
    repo = tmp_path / "src" / "app"
    repo.mkdir(parents=True)
    (repo / "Dockerfile").write_text("FROM ubuntu\nRUN apt-get install curl\n", encoding="utf-8")
    hostile = tmp_path / "src" / "laughs"
    hostile.mkdir()
    (hostile / "Dockerfile").write_text(laughs(), encoding="utf-8")
    manifest = tmp_path / "fleet.txt"
    manifest.write_text(f"{repo}\n{hostile}\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["scan", "--manifest", str(manifest), "--out", str(tmp_path / "out"),
                                      "--json", "--jobs", "1"])
    data = json.loads(result.stdout)
    assert result.exit_code == 1 and data["status"] == "partial"
    by_name = {r["name"]: r for r in data["repos"]}
    assert all(r["status"] == "failed" and "kaboom" in r["error"] for r in by_name.values())
