"""Metrics of every replica in the shared Postgres (``CODI_DB_URL``): each server process upserts its
counters into ``api_metrics`` (its own row), and any replica's /metrics sums all rows: the fleet total.

Counters never go backwards when a process stops: its row stays as it last wrote it. A row silent
for ``RETIRE_AFTER_S`` (live processes touch theirs every ``TOUCH_S``, see codi.api.metrics) is folded
into the one ``retired`` row, in one transaction, so the table holds the live processes plus one row
and the sum is unchanged. A live process whose row was folded while it could not reach the database
notices (its row is gone) and from then on writes only what it counted since, so nothing counts twice.
"""

from __future__ import annotations

import os
import secrets
import socket
import threading
from typing import TYPE_CHECKING, Any

from codi.api.metrics import Snapshot, add, empty
from codi.service.statedb import StateDB

if TYPE_CHECKING:
    import psycopg

RETIRED = "retired"
RETIRE_AFTER_S = 3600.0
RETIRE_LOCK = 0x636F64690002  # one retirer at a time: two would both add to 'retired' and lose a sum


def _jsonb(snap: Snapshot) -> Any:
    from psycopg.types.json import Jsonb

    return Jsonb(snap)


def difference(a: Snapshot, b: Snapshot) -> Snapshot:
    """``a - b``, counter by counter (``b`` is an earlier snapshot of the same counters)."""
    negated = empty()
    add(negated, b)
    for name in ("requests", "runs", "llm_tokens"):
        negated[name] = {k: -n for k, n in negated[name].items()}
    for lat in negated["latency"].values():
        lat["sum"], lat["count"], lat["buckets"] = -lat["sum"], -lat["count"], [-n for n in lat["buckets"]]
    negated["llm_calls"], negated["llm_fallbacks"] = -negated["llm_calls"], -negated["llm_fallbacks"]
    total = empty()
    add(total, a)
    add(total, negated)
    return total


class SharedMetrics:
    """This process's row, and the sum of all rows."""

    def __init__(self, db: StateDB, retire_after_s: float | None = None) -> None:
        self.db = db
        self.host, self.pid = socket.gethostname(), os.getpid()
        self.process = f"{self.host}-{self.pid}-{secrets.token_hex(4)}"
        self.retire_after_s = RETIRE_AFTER_S if retire_after_s is None else retire_after_s
        self._base = empty()  # what an earlier, retired row of ours already counted
        self._written: Snapshot | None = None
        self._lock = threading.Lock()

    def write(self, snap: Snapshot) -> None:
        with self._lock:
            self._base = self.db.run(lambda conn: self._upsert(conn, snap))
            self._written = snap

    def _upsert(self, conn: psycopg.Connection[Any], snap: Snapshot) -> Snapshot:
        base = self._base
        cur = conn.execute("UPDATE api_metrics SET snapshot = %s, updated_at = now() WHERE process = %s",
                           (_jsonb(difference(snap, base)), self.process))
        if cur.rowcount == 0:
            if self._written is not None:  # our row was retired: 'retired' holds what we had written
                base = self._written
            conn.execute("INSERT INTO api_metrics (process, host, pid, snapshot) VALUES (%s, %s, %s, %s)",
                         (self.process, self.host, self.pid, _jsonb(difference(snap, base))))
        return base

    def total(self) -> Snapshot:
        rows = self.db.run(lambda conn: conn.execute("SELECT snapshot FROM api_metrics").fetchall())
        total = empty()
        for (snap,) in rows:
            add(total, snap)
        return total

    def retire(self) -> int:
        """Fold the rows silent for ``retire_after_s`` into 'retired'; how many were folded."""
        def fold(conn: psycopg.Connection[Any]) -> int:
            if not conn.execute("SELECT pg_try_advisory_xact_lock(%s)", (RETIRE_LOCK,)).fetchone()[0]:  # type: ignore[index]
                return 0  # another replica is folding right now
            gone = conn.execute("DELETE FROM api_metrics WHERE process <> %s AND updated_at < now() -"
                                " make_interval(secs => %s) RETURNING snapshot", (RETIRED, self.retire_after_s)).fetchall()
            if not gone:
                return 0
            kept = conn.execute("SELECT snapshot FROM api_metrics WHERE process = %s", (RETIRED,)).fetchone()
            total = empty()
            for (snap,) in [*gone, *([kept] if kept else [])]:
                add(total, snap)
            conn.execute("INSERT INTO api_metrics (process, host, pid, snapshot) VALUES (%s, '', 0, %s)"
                         " ON CONFLICT (process) DO UPDATE SET snapshot = excluded.snapshot, updated_at = now()",
                         (RETIRED, _jsonb(total)))
            return len(gone)

        return self.db.run(fold)
