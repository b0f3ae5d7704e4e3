"""The audit log: one JSON line per action that changes something, HMAC-chained, rotated by size.

``<out>/_audit/audit.jsonl`` (``CODI_AUDIT_LOG`` moves it). Each line carries ``prev_hash`` (the sha256
of the previous line's bytes; 64 zeros for the first line ever), ``chain`` = ``hmac-sha256``, ``key_id``
and ``hash``: the HMAC-SHA256 of the line's own canonical JSON without ``hash``, under the operator's
audit key (codi.telemetry.audit_key: outside the log's folder, made on first use, mode 0600). A
sidecar ``<log>.head`` holds the line count and the last line's hash, with its own HMAC, so
codi.telemetry.audit_verify finds an edited line, a deleted line, a removed last line, a removed or
rewritten ``.head`` and a chain recomputed without the key; the anchor beside the key
(codi.telemetry.audit_anchor) finds an older log put back together with its own ``.head``. Lines without ``chain`` are an older
CODI's unkeyed sha256 chain: ``legacy`` until a keyed line after them anchors them (``codi audit seal``).
Rotation (``CODI_AUDIT_MAX_BYTES``, default 10 MB; ``CODI_AUDIT_KEEP`` rotated files, default 5) keeps
the chain going across files. Every line is redacted (``codi.telemetry.redact``); the actor is the CLI
user or an API key's id, never a key. ``CODI_AUDIT=off`` turns the log off (doctor fails that in
production mode).

A failed write warns on stderr; in production mode (``CODI_PRODUCTION=1``) it raises ``AuditError``
so the action stops (fail closed).
"""

from __future__ import annotations

import contextlib
import fcntl
import getpass
import hashlib
import json
import os
import sys
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path

from codi.atomic import atomic_write_text
from codi.config.flags import env_flag, production_mode
from codi.config.paths import output_root
from codi.telemetry.audit_anchor import write_anchor
from codi.telemetry.audit_key import CHAIN, AuditKeyError, key_id, load_key, mac
from codi.telemetry.redact import redact_data

GENESIS = "0" * 64
ACTIONS = ("run", "fix-apply", "backup", "restore", "drill", "prune", "bundle-install", "bundle-rollback",
           "policy-override", "seal")
_TAIL = 1 << 16


class AuditError(Exception):
    """The audit log could not be written (production mode stops the action) or read."""


def audit_enabled(env: Mapping[str, str] | None = None) -> bool:
    """CODI_AUDIT (default on)."""
    return env_flag("CODI_AUDIT", env=env)


def default_out() -> Path:
    return output_root()


def audit_log_path(out: Path | None = None, env: Mapping[str, str] | None = None) -> Path:
    """Where the log is: ``CODI_AUDIT_LOG``, else ``<out>/_audit/audit.jsonl`` (``env`` replaces os.environ)."""
    moved = (os.environ if env is None else env).get("CODI_AUDIT_LOG")
    return Path(moved) if moved and moved.strip() else (out if out is not None else default_out()) / "_audit" / "audit.jsonl"


def current_actor() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no passwd entry (containers), no USER: still say something
        return os.environ.get("USER") or os.environ.get("USERNAME") or "unknown"


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", errors="surrogateescape")).hexdigest()


def line_hash(record: dict[str, object], key: bytes | None = None) -> str:
    """HMAC-SHA256 of the canonical line without ``hash`` for a keyed line, plain sha256 for a legacy one."""
    body = json.dumps({k: v for k, v in record.items() if k != "hash"}, sort_keys=True, ensure_ascii=False,
                      separators=(",", ":"))
    if record.get("chain") == CHAIN:
        if key is None:
            raise AuditKeyError("a keyed line needs the audit key")
        return mac(key, body)
    return sha256_text(body)


def head_mac(key: bytes, name: str, lines: int, last_hash: str) -> str:
    return mac(key, f"{name}\n{lines}\n{last_hash}")


def _int_env(name: str, default: int) -> int:
    try:
        return max(1, int(os.environ.get(name, "")))
    except ValueError:
        return default


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    with open(path.with_name(path.name + ".lock"), "a", encoding="utf-8") as lock:
        fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock.fileno(), fcntl.LOCK_UN)


def _last_line(path: Path) -> str | None:
    try:
        with open(path, "rb") as handle:
            handle.seek(0, os.SEEK_END)
            size = handle.tell()
            handle.seek(max(0, size - _TAIL))
            lines = handle.read().decode("utf-8", errors="surrogateescape").splitlines()
    except FileNotFoundError:
        return None
    return lines[-1] if lines else None


def read_head(path: Path) -> dict[str, object] | None:
    try:
        data = json.loads(path.with_name(path.name + ".head").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _rotate(path: Path) -> None:
    keep = _int_env("CODI_AUDIT_KEEP", 5)
    for n in range(keep, 0, -1):
        older = path.with_name(f"{path.name}.{n}")
        if older.exists():
            if n == keep:
                older.unlink()
            else:
                os.replace(older, path.with_name(f"{path.name}.{n + 1}"))
    os.replace(path, path.with_name(f"{path.name}.1"))


def _append(path: Path, record: dict[str, object]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    key = load_key(path, create=True)
    assert key is not None
    with _locked(path):
        previous = _last_line(path)
        if previous is None:  # a new or just rotated file: the chain goes on from the last rotated line
            previous = _last_line(path.with_name(path.name + ".1"))
        record["prev_hash"] = sha256_text(previous) if previous is not None else GENESIS
        record["chain"], record["key_id"] = CHAIN, key_id(key)
        record["hash"] = line_hash(record, key)
        line = json.dumps(record, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        head = read_head(path)
        count = head.get("lines", 0) if head and path.exists() else 0
        if path.exists() and path.stat().st_size + len(line) + 1 > _int_env("CODI_AUDIT_MAX_BYTES", 10_000_000):
            _rotate(path)
            count = 0
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(line + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        lines = (count if isinstance(count, int) else 0) + 1
        last = sha256_text(line)
        atomic_write_text(path.with_name(path.name + ".head"), json.dumps(
            {"schema_version": 2, "lines": lines, "last_hash": last, "chain": CHAIN, "key_id": key_id(key),
             "mac": head_mac(key, path.name, lines, last)}) + "\n")
        write_anchor(key, path, lines, last)


def reanchor(path: Path) -> None:
    """Anchor ``path`` at its current end (``codi backup restore`` puts an older log back on purpose)."""
    head = read_head(path)
    with contextlib.suppress(AuditKeyError):
        key = load_key(path)
        if key is not None and head and isinstance(head.get("lines"), int) and isinstance(head.get("last_hash"), str):
            write_anchor(key, path, int(str(head["lines"])), str(head["last_hash"]))


def audit_event(out: Path, action: str, *, actor: str | None = None, **fields: object) -> None:
    """Append one audit line for ``action``; fields such as dockerfile_sha256, rule_ids, adapter_version,
    risk, policy, decision go in as given (redacted). Fails closed in production mode."""
    if not audit_enabled():
        return
    record: dict[str, object] = {
        "schema_version": 1, "ts": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "actor": actor or current_actor(), "action": action}
    for name, value in fields.items():
        if name not in record and name not in ("prev_hash", "hash", "chain", "key_id"):
            record[name] = value
    path = audit_log_path(out)
    try:
        clean = redact_data(json.loads(json.dumps(record, default=str)))
        assert isinstance(clean, dict)
        _append(path, clean)
    except (OSError, ValueError, TypeError, AuditKeyError) as exc:
        message = f"cannot write the audit log {path}: {getattr(exc, 'strerror', None) or exc}"
        if production_mode():
            raise AuditError(message) from exc
        sys.stderr.write(f"codi: warning: {message}\n")


def seal_log(path: Path, legacy_lines: int, actor: str | None = None) -> None:
    """Append a keyed ``seal`` line to ``path``: its prev_hash anchors every line before it under the key."""
    record: dict[str, object] = {
        "schema_version": 1, "ts": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "actor": actor or current_actor(), "action": "seal", "legacy_lines": legacy_lines}
    try:
        _append(path, record)
    except (OSError, AuditKeyError) as exc:
        raise AuditError(f"cannot write the audit log {path}: {getattr(exc, 'strerror', None) or exc}") from None
