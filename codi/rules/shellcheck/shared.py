"""The shared level of the ShellCheck result cache, for a fleet's CI runners: ``$CODI_CACHE_URL``.

It comes after the local levels: a script the local cache misses is looked up here, and a hit is
copied to the local cache, so a runner's first lint is warm whenever any runner has seen the
script. Fresh results are written here too. The keys are the local cache's (FORMAT, ShellCheck's
version, options, dialect, script). Two kinds, one interface (``SharedLevel``):

- ``postgresql://...`` (the ``codi[postgres]`` extra): one table (codi.rules.shellcheck.shared_pg);
- a store: ``s3://bucket/prefix`` (the ``codi[s3]`` extra), ``file:///path`` or an absolute folder
  path, one object per key (codi.rules.shellcheck.shared_store).

Like the local levels it never fails a lint: an unreachable database or store is a miss, and it
is not asked again for ``RETRY_AFTER_S``.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Mapping
from urllib.parse import urlsplit

from codi.rules.shellcheck.shared_pg import PgCache
from codi.rules.shellcheck.shared_protocol import ENV, SharedLevel
from codi.rules.shellcheck.shared_store import StoreCache

log = logging.getLogger("codi.rules.shellcheck")


PG_SCHEMES = ("postgresql", "postgres")
STORE_SCHEMES = ("s3", "file")








_SHARED: dict[str, SharedLevel | None] = {}  # None: an unsupported URL, warned about once
_SHARED_LOCK = threading.Lock()


def _open(url: str) -> SharedLevel | None:
    scheme = urlsplit(url).scheme.lower()
    if scheme in PG_SCHEMES:
        return PgCache(url)
    if scheme in STORE_SCHEMES or (not scheme and os.path.isabs(url)):
        return StoreCache(url)
    # Only the scheme: the URL may hold a password.
    what = f"scheme {scheme!r}" if scheme else "a relative path"
    log.warning("%s: %s is not supported (use postgresql://, s3://bucket/prefix, file:///path or an absolute"
                " folder path); no shared cache", ENV, what)
    return None


def shared_cache(env: Mapping[str, str] | None = None) -> SharedLevel | None:
    """The shared level named by ``$CODI_CACHE_URL``, one per URL and process, or None."""
    env = os.environ if env is None else env
    url = env.get(ENV, "").strip()
    if not url:
        return None
    with _SHARED_LOCK:
        if url not in _SHARED:
            _SHARED[url] = _open(url)
        return _SHARED[url]
