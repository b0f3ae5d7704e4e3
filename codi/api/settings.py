"""API settings, read once from the environment when the app is built."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from codi.config.dburl import state_db_url
from codi.config.paths import output_root

DEFAULT_MAX_BODY = 8 * 1024 * 1024


def split_list(value: str) -> list[str]:
    """Keys and roots may be separated by commas, whitespace or (roots) the path separator."""
    return [part for part in re.split(r"[,\s" + re.escape(os.pathsep) + r"]+", value) if part]


@dataclass(slots=True)
class ApiSettings:
    keys: list[str] = field(default_factory=list)  # empty: no authentication (loopback or --insecure only)
    allowed_roots: list[Path] = field(default_factory=list)  # resolved; project paths must lie inside one
    runs_root: Path = field(default_factory=lambda: Path("runs"))
    max_body: int = DEFAULT_MAX_BODY
    job_workers: int = 2
    # Jobs (SQLite) and per-worker metrics files, shared by the worker processes of one server.
    # None: ``<runs_root>/.codi-state`` (a hidden folder: the runs listing skips it).
    state_dir: Path | None = None
    instance: str | None = None  # set by `codi serve` so its workers sum each other's metrics
    # CODI_DB_URL: jobs and metrics in this Postgres instead, shared by every replica (not in state_dir).
    db_url: str | None = None

    @property
    def state(self) -> Path:
        return self.state_dir if self.state_dir is not None else self.runs_root / ".codi-state"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> ApiSettings:
        """Raises DBURLError for a CODI_DB_URL that is not postgresql://."""
        env = os.environ if env is None else env
        keys = [k for k in re.split(r"[,\s]+", env.get("CODI_API_KEY", "")) if k]
        roots_text = env.get("CODI_ALLOWED_ROOTS", "")
        # Without an explicit list, only the folder the server was started in is reachable.
        roots = [Path(r).resolve() for r in split_list(roots_text)] if roots_text.strip() else [Path.cwd().resolve()]
        runs = output_root(env=env).resolve()
        try:
            max_body = int(env.get("CODI_MAX_BODY", DEFAULT_MAX_BODY))
        except ValueError:
            max_body = DEFAULT_MAX_BODY
        try:
            workers = max(1, int(env.get("CODI_JOB_WORKERS", 2)))
        except ValueError:
            workers = 2
        state = Path(env["CODI_STATE_DIR"]).resolve() if env.get("CODI_STATE_DIR") else None
        return cls(keys, roots, runs, max_body, workers, state, env.get("CODI_SERVE_INSTANCE") or None,
                   state_db_url(env))
