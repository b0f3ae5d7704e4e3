"""Hostile inputs, and running CODI on them in a child process that cannot take the machine.

A resource regression must fail the test, not the machine: the child runs under an address-space
limit (RLIMIT_AS) and a wall-clock limit, so a parser that blows up gets a MemoryError (a failed
result, exit 3) or is killed, and the assertion on its exit code and output fails.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

MEMORY_LIMIT = 600 * 1024 * 1024  # the whole `codi` process (Python + every rule loaded is ~250 MB of it)
TIME_LIMIT_S = 120  # a generous wall-clock ceiling on a loaded 2-core machine; the point is "not forever"
FAST_SHELLCHECK = {"CODI_SHELLCHECK_TIMEOUT": "3", "CODI_SHELLCHECK_MEMORY_MB": "300"}


def nested_default(depth: int) -> str:
    """``${A:-${A:-...x}}``: ``depth`` levels of defaults in one word."""
    return "${A:-" * depth + "x" + "}" * depth


def laughs(levels: int = 10, width: int = 10) -> str:
    """An ARG chain where each value is the previous one ``width`` times (a billion laughs)."""
    lines = ["FROM alpine:3.20", "ARG L0=lolololololol"]
    lines += [f"ARG L{i}=" + f"${{L{i - 1}}}" * width for i in range(1, levels)]
    lines += [f"ENV TOP=$L{levels - 1}", f"LABEL big=$L{levels - 1}", f"WORKDIR /$L{levels - 1}", "RUN echo ok"]
    return "\n".join(lines) + "\n"


def and_chain(commands: int) -> str:
    return "FROM alpine:3.20\nRUN " + " && ".join(f"echo {i}" for i in range(commands)) + "\n"


def nested_substitution(depth: int) -> str:
    return "FROM alpine:3.20\nRUN echo " + "$(echo " * depth + "x" + ")" * depth + "\n"


def nested_if(depth: int) -> str:
    return "FROM alpine:3.20\nRUN " + "if true; then " * depth + "echo x; " + "fi; " * depth + "\n"


def chained_stages(count: int) -> str:
    lines = []
    for i in range(count):
        lines.append("FROM alpine:3.20 AS s0" if i == 0 else f"FROM s{i - 1} AS s{i}")
        lines.append(f"WORKDIR /w{i % 7}")
        lines.append(f"RUN echo {i} && rm -rf /tmp/x{i % 3}")
    lines.append("COPY . /app\nRUN chmod -R 755 /app")
    return "\n".join(lines) + "\n"


def _limits(memory: int) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))


def run_codi(args: Sequence[str], cwd: Path | None = None, env: dict[str, str] | None = None,
             memory: int = MEMORY_LIMIT, timeout: float = TIME_LIMIT_S,
             stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """``codi ARGS`` in a child process under ``memory`` bytes of address space."""
    full_env = {**os.environ, **(env or {})}
    return subprocess.run([sys.executable, "-m", "codi", *args], cwd=cwd, env=full_env, input=stdin,
                          capture_output=True, text=True, timeout=timeout, preexec_fn=lambda: _limits(memory),
                          check=False)


def codes(stdout_json: list[dict[str, object]]) -> set[str]:
    return {str(f["code"]) for f in stdout_json}
