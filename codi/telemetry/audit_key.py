"""The audit chain's HMAC key: kept by the operator, outside the log's folder, made on first use.

``CODI_AUDIT_KEY_FILE``, else ``audit.key`` in the operator's state folder (codi.config.operator:
``CODI_STATE_DIR``, else ``~/.local/state/codi``): 32 random bytes as hex, mode 0600. Whoever can
rewrite the log but cannot read this file cannot forge a line or the ``.head`` sidecar. The key is
not in backups: back it up apart from them, or a restored log can no longer be verified.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from collections.abc import Mapping
from pathlib import Path

from codi.config.operator import AUDIT_KEY_FILE, operator_state_dir

CHAIN = "hmac-sha256"


class AuditKeyError(Exception):
    """The key is missing where it must exist, unreadable, malformed or inside the log's folder."""


def audit_key_path(env: Mapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    explicit = (env.get("CODI_AUDIT_KEY_FILE") or "").strip()
    return Path(explicit) if explicit else operator_state_dir(env) / AUDIT_KEY_FILE


def key_id(key: bytes) -> str:
    """A short public name for the key (says which key wrote a line; reveals nothing of it)."""
    return hashlib.sha256(b"codi-audit-key-id\0" + key).hexdigest()[:16]


def mac(key: bytes, text: str) -> str:
    return hmac.new(key, text.encode("utf-8", errors="surrogateescape"), hashlib.sha256).hexdigest()


def _parse(path: Path, text: str) -> bytes:
    try:
        key = bytes.fromhex(text.strip())
    except ValueError:
        key = b""
    if len(key) < 16:
        raise AuditKeyError(f"{path}: not an audit key (expected 64 hex digits)")
    return key


def _create(path: Path) -> None:
    """Write a new key under a private name, then link it into place: a racing writer's key wins whole."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(secrets.token_hex(32) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass
    finally:
        tmp.unlink(missing_ok=True)


def load_key(log: Path, create: bool = False, env: Mapping[str, str] | None = None) -> bytes | None:
    """The key for ``log`` (None when there is none and ``create`` is False); AuditKeyError when unusable."""
    path = audit_key_path(env)
    if path.resolve().is_relative_to(log.parent.resolve()):
        raise AuditKeyError(f"the audit key {path} is inside the log's folder {log.parent}: whoever can rewrite the "
                            "log could read it (set CODI_AUDIT_KEY_FILE elsewhere)")
    for _ in range(2):
        try:
            return _parse(path, path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            if not create:
                return None
            try:
                _create(path)
            except OSError as exc:
                raise AuditKeyError(f"cannot create the audit key {path}: {exc.strerror or exc}") from None
        except OSError as exc:
            raise AuditKeyError(f"cannot read the audit key {path}: {exc.strerror or exc}") from None
    raise AuditKeyError(f"cannot create the audit key {path}")
