"""``run_manifest.json``: what a training run ran on, written at start and completed at the end.

Keys: ``schema_version, run_id, started_at, finished_at, python, platform, git_sha, lock_file,
lock_sha256, seed, base_model, dataset_hashes, env, versions {torch, transformers, peft, gguf},
exit {status, code[, error]}, system_samples``. ``env`` holds only CODI_*, LLAMA_CPP_THREADS and
OMP_NUM_THREADS, and never a name that looks secret (TOKEN, KEY, SECRET, PASSWORD, ...).
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import os
import platform
import re
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from codi.atomic import atomic_write_text

SCHEMA_VERSION = 1
REPO = Path(__file__).resolve().parents[2]
LOCK_FILES = ("uv.lock", "poetry.lock", "requirements.lock", "requirements.txt", "pyproject.toml")
ENV_NAMES = re.compile(r"^(CODI_\w+|LLAMA_CPP_THREADS|OMP_NUM_THREADS)$")
SECRET_LOOKING = re.compile(r"TOKEN|KEY|SECRET|PASSW|CREDENTIAL|AUTH|COOKIE|SESSION|PRIVATE", re.IGNORECASE)
PACKAGES = ("torch", "transformers", "peft", "gguf")


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def git_sha(repo: Path = REPO) -> str | None:
    try:
        out = subprocess.run(["git", "-C", str(repo), "rev-parse", "HEAD"], capture_output=True, text=True,
                             timeout=10, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    sha = out.stdout.strip()
    return sha if out.returncode == 0 and re.fullmatch(r"[0-9a-f]{40}", sha) else None


def lock_file(repo: Path = REPO) -> Path | None:
    """The first lock or requirements file of the checkout (pyproject.toml when there is no lock)."""
    return next((repo / name for name in LOCK_FILES if (repo / name).is_file()), None)


def selected_env(environ: dict[str, str] | None = None) -> dict[str, str]:
    env = os.environ if environ is None else environ
    return {k: env[k] for k in sorted(env) if ENV_NAMES.match(k) and not SECRET_LOOKING.search(k)}


def versions() -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    for name in PACKAGES:
        try:
            out[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            out[name] = None
    return out


def start_manifest(path: Path, run_id: str, seed: int, base_model: Any, dataset_hashes: dict[str, str]) -> dict[str, Any]:
    lock = lock_file()
    manifest = {
        "schema_version": SCHEMA_VERSION, "run_id": run_id, "started_at": _now(), "finished_at": None,
        "python": sys.version.split()[0], "platform": platform.platform(), "git_sha": git_sha(),
        "lock_file": lock.name if lock else None,
        "lock_sha256": hashlib.sha256(lock.read_bytes()).hexdigest() if lock else None,
        "seed": seed, "base_model": base_model, "dataset_hashes": dataset_hashes, "env": selected_env(),
        "versions": versions(), "exit": {"status": "running", "code": None}, "system_samples": 0,
    }
    atomic_write_text(path, json.dumps(manifest, indent=2, default=str) + "\n")
    return manifest


def finish_manifest(path: Path, exit_status: dict[str, Any], samples: int) -> dict[str, Any]:
    manifest: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    manifest.update(finished_at=_now(), exit=exit_status, system_samples=samples)
    atomic_write_text(path, json.dumps(manifest, indent=2, default=str) + "\n")
    return manifest
