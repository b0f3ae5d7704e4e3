"""Where CODI keeps per-user caches: ``$CODI_CACHE_DIR``, else ``$XDG_CACHE_HOME/codi``, else ``~/.cache/codi``."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path


def cache_home(env: Mapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    return Path(env.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "codi"


def cache_dir(env: Mapping[str, str] | None = None) -> Path:
    """CODI's user cache folder: $CODI_CACHE_DIR, else $XDG_CACHE_HOME/codi, else ~/.cache/codi."""
    env = os.environ if env is None else env
    if env.get("CODI_CACHE_DIR"):
        return Path(env["CODI_CACHE_DIR"])
    return cache_home(env)


def cache_allowed(env: Mapping[str, str] | None = None) -> bool:
    """False when CODI_NO_CACHE is set to a true value: nothing is read from or written to the cache."""
    env = os.environ if env is None else env
    return env.get("CODI_NO_CACHE", "").strip().lower() in ("", "0", "false", "no", "off")
