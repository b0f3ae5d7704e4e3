"""Cache of ShellCheck results, one entry per distinct script.

ShellCheck costs ~10 ms of CPU per script, and the same scripts are linted again and again (CI
runs, the HTTP API, an editor saving a file). An entry is ShellCheck's json1 comments for one
script, keyed by the sha256 of everything that decides them: ShellCheck's version, the
dialect, the command-line options (excluded codes, severity) and the script text. Findings
are rebuilt from the comments exactly as from a fresh run, so a cached result cannot differ.

Two levels: an in-process LRU (long-lived processes such as ``codi serve``), then an SQLite
file in the user cache dir (``$CODI_CACHE_DIR``, else ``$XDG_CACHE_HOME/codi``, else
``~/.cache/codi``). SQLite gives atomic writes (one transaction per lint run) and safe
concurrent use by several processes. An unreadable or corrupt entry is a miss; a corrupt file
is replaced; a read-only or locked cache only makes the run slower, never fail.
``CODI_NO_CACHE=1`` (or ``codi lint --no-cache``) skips both levels.
``CODI_CACHE_URL`` (``postgresql://...``, or a store: ``s3://bucket/prefix``, a folder) adds a
shared level after them, for a fleet's CI runners (codi.rules.shellcheck.shared); its hits are
copied to the local levels.
"""

from __future__ import annotations

import contextlib
import contextvars
import hashlib
import json
import logging
import os
import sqlite3
import subprocess
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from codi.cachehome import cache_allowed, cache_dir
from codi.rules.shellcheck.shared import shared_cache
from codi.rules.shellcheck.shared_protocol import SharedLevel

log = logging.getLogger("codi.rules.shellcheck")

Comments = list[dict[str, Any]]

FORMAT = "codi-sc-cache-1"  # part of every key: bump it when what is stored changes
DB_NAME = "shellcheck-v1.sqlite3"
MEMORY_ENTRIES = 8192
MAX_ENTRIES = 100_000
MAX_BYTES = 64 * 1024 * 1024  # stored comment text; the file itself is a little larger
PRUNE_TO = 0.8  # when over a bound, drop the least recently used down to this share of it
TOUCH_AFTER_S = 86_400  # refresh an entry's "last used" at most once a day (a write)
_SQL_VARS = 500  # keys per query, well below SQLite's variable limit

_no_cache: contextvars.ContextVar[bool] = contextvars.ContextVar("codi_sc_no_cache", default=False)
_versions: dict[tuple[str, int, int], str] = {}


def cache_enabled(env: Mapping[str, str] | None = None) -> bool:
    return not _no_cache.get() and cache_allowed(env)


@contextlib.contextmanager
def disabled() -> Iterator[None]:
    """No cache reads or writes inside this block (``codi lint --no-cache``)."""
    token = _no_cache.set(True)
    try:
        yield
    finally:
        _no_cache.reset(token)


def shellcheck_version(binary: str) -> str | None:
    """``shellcheck --version`` output, remembered per binary file (path, mtime, size)."""
    try:
        st = os.stat(binary)
    except OSError:
        return None
    ident = (binary, st.st_mtime_ns, st.st_size)
    if ident not in _versions:
        try:
            proc = subprocess.run([binary, "--version"], capture_output=True, text=True, check=False, timeout=30)
        except (OSError, subprocess.SubprocessError):
            return None
        if proc.returncode != 0 or "version" not in proc.stdout:
            return None
        _versions[ident] = proc.stdout.strip()
    return _versions[ident]


class MemoryLRU:
    """A bounded, thread-safe map of key -> comments, least recently used dropped first."""

    def __init__(self, capacity: int = MEMORY_ENTRIES) -> None:
        self.capacity = capacity
        self._items: OrderedDict[str, Comments] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> Comments | None:
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def put(self, key: str, value: Comments) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.capacity:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def __len__(self) -> int:
        return len(self._items)


MEMORY = MemoryLRU()


def _valid(comments: object) -> bool:
    return isinstance(comments, list) and all(isinstance(c, dict) for c in comments)


class DiskCache:
    """The SQLite level. Every method swallows database errors: a broken cache is a slow run."""

    def __init__(self, path: Path, max_entries: int = MAX_ENTRIES, max_bytes: int = MAX_BYTES) -> None:
        self.path = path
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._conn: sqlite3.Connection | None = None

    def _connect(self) -> sqlite3.Connection | None:
        if self._conn is not None:
            return self._conn
        for attempt in (1, 2):
            conn: sqlite3.Connection | None = None
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                conn = sqlite3.connect(self.path, timeout=2.0, isolation_level=None)
                conn.execute(
                    "CREATE TABLE IF NOT EXISTS results"
                    " (key TEXT PRIMARY KEY, comments TEXT NOT NULL, used INTEGER NOT NULL) WITHOUT ROWID"
                )
                conn.execute("CREATE INDEX IF NOT EXISTS results_used ON results (used)")
                self._conn = conn
                return conn
            except sqlite3.DatabaseError as exc:
                # "file is not a database" and friends: start a new file, once.
                log.debug("shellcheck cache %s unusable (%s)", self.path, exc)
                if conn is not None:
                    conn.close()
                if attempt == 1 and self.path.is_file() and "locked" not in str(exc):
                    with contextlib.suppress(OSError):
                        self.path.unlink()
                    continue
                return None
            except OSError as exc:
                log.debug("shellcheck cache %s unusable (%s)", self.path, exc)
                return None
        return None

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def get_many(self, keys: list[str]) -> dict[str, Comments]:
        conn = self._connect()
        if conn is None or not keys:
            return {}
        found: dict[str, Comments] = {}
        stale: list[str] = []
        now = int(time.time())
        try:
            for part in _parts(keys):
                marks = ",".join("?" * len(part))
                rows = conn.execute(f"SELECT key, comments, used FROM results WHERE key IN ({marks})", part)
                for key, text, used in rows:
                    try:
                        comments = json.loads(text)
                    except (TypeError, ValueError):
                        continue  # a damaged entry is a miss; the fresh result replaces it
                    if _valid(comments):
                        found[key] = comments
                        if isinstance(used, int) and used < now - TOUCH_AFTER_S:
                            stale.append(key)
            if stale:
                with conn:
                    for part in _parts(stale):
                        marks = ",".join("?" * len(part))
                        conn.execute(f"UPDATE results SET used = ? WHERE key IN ({marks})", [now, *part])
        except sqlite3.Error as exc:
            log.debug("shellcheck cache read failed (%s)", exc)
        return found

    def put_many(self, items: Mapping[str, Comments]) -> None:
        conn = self._connect()
        if conn is None or not items:
            return
        now = int(time.time())
        rows = [(key, json.dumps(value, separators=(",", ":")), now) for key, value in items.items()]
        try:
            with conn:  # one transaction: all of this run's entries or none
                conn.execute("BEGIN IMMEDIATE")
                conn.executemany("INSERT OR REPLACE INTO results (key, comments, used) VALUES (?, ?, ?)", rows)
                self._prune(conn)
        except sqlite3.Error as exc:
            log.debug("shellcheck cache write failed (%s)", exc)

    def _prune(self, conn: sqlite3.Connection) -> None:
        count, size = conn.execute("SELECT COUNT(*), COALESCE(SUM(LENGTH(comments)), 0) FROM results").fetchone()
        over = max(count / self.max_entries, size / self.max_bytes)
        if over <= 1:
            return
        keep = int(count / over * PRUNE_TO)
        conn.execute(
            "DELETE FROM results WHERE key IN (SELECT key FROM results ORDER BY used, key LIMIT ?)",
            (count - keep,),
        )

    def stats(self) -> tuple[int, int]:
        """(entries, bytes of stored comments); (0, 0) when unusable."""
        conn = self._connect()
        if conn is None:
            return 0, 0
        try:
            count, size = conn.execute(
                "SELECT COUNT(*), COALESCE(SUM(LENGTH(comments)), 0) FROM results"
            ).fetchone()
        except sqlite3.Error:
            return 0, 0
        return int(count), int(size)


def _parts(keys: list[str]) -> Iterable[list[str]]:
    for i in range(0, len(keys), _SQL_VARS):
        yield keys[i : i + _SQL_VARS]


class ResultCache:
    """Both levels for one lint run: look scripts up, store the fresh results."""

    def __init__(self, version: str, options: list[str], disk: DiskCache | None, memory: MemoryLRU,
                 shared: SharedLevel | None = None) -> None:
        self._prefix = "\0".join([FORMAT, version, " ".join(options)])
        self.disk = disk
        self.memory = memory
        self.shared = shared

    def key(self, dialect: str, text: str) -> str:
        data = "\0".join([self._prefix, dialect, text]).encode("utf-8", "surrogateescape")
        return hashlib.sha256(data).hexdigest()

    def get_many(self, keys: list[str]) -> dict[str, Comments]:
        found: dict[str, Comments] = {}
        missing: list[str] = []
        for key in keys:
            hit = self.memory.get(key)
            if hit is None:
                missing.append(key)
            else:
                found[key] = hit
        if missing and self.disk is not None:
            from_disk = self.disk.get_many(missing)
            for key, value in from_disk.items():
                self.memory.put(key, value)
            found.update(from_disk)
        if self.shared is not None and len(found) < len(keys):
            from_shared = self.shared.get_many([k for k in keys if k not in found])
            for key, value in from_shared.items():
                self.memory.put(key, value)
            if from_shared and self.disk is not None:
                self.disk.put_many(from_shared)
            found.update(from_shared)
        return found

    def put_many(self, items: Mapping[str, Comments]) -> None:
        for key, value in items.items():
            self.memory.put(key, value)
        if self.disk is not None:
            self.disk.put_many(items)
        if self.shared is not None:
            self.shared.put_many(items)

    def close(self) -> None:
        if self.disk is not None:
            self.disk.close()


def open_cache(binary: str, options: list[str]) -> ResultCache | None:
    """The cache for this run, or None when caching is off or ShellCheck's version is unknown
    (without it a new ShellCheck could be served an old ShellCheck's results)."""
    if not cache_enabled():
        return None
    version = shellcheck_version(binary)
    if version is None:
        return None
    return ResultCache(version, options, DiskCache(cache_dir() / DB_NAME), MEMORY, shared_cache())
