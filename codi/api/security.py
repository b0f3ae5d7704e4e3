"""API keys, path confinement and run-id checks."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
from pathlib import Path

from codi.artifacts.rundir import RUN_ID_RE
from codi.service.errors import InputError


class Forbidden(Exception):
    """A path outside the allowed roots (403)."""


class NotFound(Exception):
    """An unknown run or job (404)."""


def key_id(key: str) -> str:
    """A stable, non-secret name for a key, for logs: never log the key itself."""
    return "key-" + hashlib.sha256(key.encode("utf-8")).hexdigest()[:8]


def presented_key(authorization: str | None, x_api_key: str | None) -> str | None:
    """The key a request offers: X-API-Key, ``Bearer <key>``, or HTTP Basic whose password is the key
    (any user name), so that a plain browser can open the HTML pages without a key in the URL."""
    if x_api_key:
        return x_api_key.strip()
    if authorization:
        scheme, _, token = authorization.strip().partition(" ")
        token = token.strip()
        if scheme.lower() == "bearer" and token:
            return token
        if scheme.lower() == "basic" and token:
            return _basic_password(token)
    return None


def _basic_password(token: str) -> str | None:
    try:
        decoded = base64.b64decode(token, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    _, colon, password = decoded.partition(":")
    return password if colon and password else None


def match_key(presented: str | None, keys: list[str]) -> str | None:
    """The key id of the matching key, or None. Every key is compared, in constant time each."""
    if presented is None:
        return None
    found = None
    given = presented.encode("utf-8")
    for key in keys:
        if hmac.compare_digest(given, key.encode("utf-8")):
            found = key_id(key)
    return found


def confine(path: str, roots: list[Path], base: Path | None = None) -> Path:
    """``path`` resolved (symlinks and ``..``) if it lies inside one of ``roots``; else Forbidden.
    A NUL byte is an input error (400): no file has one in its name."""
    if "\x00" in path:
        raise InputError("path contains a NUL byte")
    raw = Path(os.path.expanduser(path))
    if not raw.is_absolute() and base is not None:
        raw = base / raw
    try:
        resolved = raw.resolve()
    except (RuntimeError, OSError) as exc:  # a symlink loop (RuntimeError before Python 3.13)
        raise InputError(f"{path}: symlink loop" if "loop" in str(exc).lower() else f"{path}: cannot resolve") from None
    for root in roots:
        if resolved == root or resolved.is_relative_to(root):
            return resolved
    raise Forbidden(f"{path}: outside the allowed roots (CODI_ALLOWED_ROOTS)")


def run_dir(runs_root: Path, run_id: str) -> Path:
    """The folder of a run; NotFound for an invalid or unknown id (never a path outside the runs root)."""
    if not RUN_ID_RE.match(run_id) or len(run_id) > 200:
        raise NotFound(f"no run {run_id!r}")
    folder = runs_root / run_id
    if not (folder / "metadata" / "run.json").is_file():
        raise NotFound(f"no run {run_id!r}")
    return folder
