"""The audit log's anchor: its last line, kept beside the audit key, outside the log's folder.

The ``.head`` sidecar lives beside the log, so whoever can write the log's folder can put back an older
log together with its older ``.head`` (both genuine, both keyed): a rollback that deletes every line
written since. The writer also records the last line it wrote (count, hash, HMAC) in
``<key folder>/audit-anchors/<hash of the log's path>.json``; ``codi audit verify`` then requires that
line to still be in the chain. A log that grew past the anchor (another replica with its own state
folder appended) passes; a log that no longer holds the anchored line fails, unless rotation dropped
the oldest files (then only a note: the line may have been rotated away).

The anchor is written on a best-effort basis: a read-only key folder (a mounted secret) leaves the log
unanchored, which verify notes. A restore (``codi backup restore``) anchors the restored log anew: the
rollback is then the operator's own act, audited by the restore line that follows.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from pathlib import Path

from codi.atomic import atomic_write_text
from codi.telemetry.audit_key import audit_key_path, mac

FOLDER = "audit-anchors"


def anchor_path(log: Path) -> Path:
    where = str(log.resolve())
    return audit_key_path().parent / FOLDER / f"{hashlib.sha256(where.encode()).hexdigest()[:32]}.json"


def _mac(key: bytes, log: Path, lines: int, last_hash: str) -> str:
    return mac(key, f"anchor\n{log.resolve()}\n{lines}\n{last_hash}")


def write_anchor(key: bytes, log: Path, lines: int, last_hash: str) -> None:
    """Record ``log``'s last line (best effort: an unwritable key folder leaves it unanchored)."""
    path = anchor_path(log)
    with contextlib.suppress(OSError):
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        atomic_write_text(path, json.dumps({"log": str(log.resolve()), "lines": lines, "last_hash": last_hash,
                                            "mac": _mac(key, log, lines, last_hash)}) + "\n")


def check_anchor(key: bytes, log: Path, line_hashes: set[str], complete: bool) -> tuple[str | None, str | None]:
    """(why the log fails, a note): the anchored last line must still be in the chain (``line_hashes``, the
    sha256 of every line of every file); ``complete``: the chain still starts at its first line ever."""
    path = anchor_path(log)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None, f"no anchor outside the log's folder ({path}): a rollback of the log with its .head is not detectable"
    except (OSError, ValueError):
        return f"its anchor {path} is unreadable (rewritten?)", None
    lines, last = data.get("lines"), data.get("last_hash")
    if not isinstance(lines, int) or not isinstance(last, str) or data.get("mac") != _mac(key, log, lines, last):
        return f"its anchor {path} was rewritten (its MAC does not verify with the audit key)", None
    if last in line_hashes:
        return None, None
    if not complete:
        return None, "the anchored last line is not in the log; rotation dropped its oldest files, so it may be one of them"
    return (f"the log was rolled back or truncated: its anchor ({path}) recorded a last line that the log no longer "
            "holds (an older copy of the log and its .head put back?)"), None
