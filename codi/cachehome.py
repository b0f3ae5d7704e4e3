"""Where CODI keeps per-user caches: ``$XDG_CACHE_HOME/codi``, else ``~/.cache/codi``."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path


def cache_home(env: Mapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    return Path(env.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "codi"
