"""Verifying the audit log (codi.telemetry.audit): every line's HMAC, the prev_hash chain across rotated
files, and the ``.head`` sidecar (present, MACed, agreeing with the last line). A log an older CODI wrote
(plain sha256, no ``chain``) reads as ``legacy`` until a keyed line after it anchors it."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from codi.telemetry.audit import GENESIS, AuditError, head_mac, line_hash, read_head, sha256_text
from codi.telemetry.audit_anchor import check_anchor
from codi.telemetry.audit_key import CHAIN, AuditKeyError, audit_key_path, key_id, load_key


@dataclass(slots=True)
class VerifyResult:
    path: str
    ok: bool = True
    lines: int = 0
    files: list[str] = field(default_factory=list)
    bad_file: str | None = None
    bad_line: int | None = None  # 1-based, in bad_file
    reason: str | None = None
    notes: list[str] = field(default_factory=list)
    legacy_lines: int = 0  # unkeyed (plain sha256) lines, written before the chain was keyed

    @property
    def status(self) -> str:
        """ok (keyed and intact); legacy (intact, but no line is keyed: it proves nothing); failed."""
        if not self.ok:
            return "failed"
        return "legacy" if self.lines and self.legacy_lines == self.lines else "ok"

    def fail(self, file: Path | str, line: int | None, reason: str) -> VerifyResult:
        self.ok, self.bad_file, self.bad_line, self.reason = False, str(file), line, reason
        return self


def _chain_files(path: Path) -> list[Path]:
    rotated = sorted((p for p in path.parent.glob(f"{path.name}.*") if p.name[len(path.name) + 1:].isdigit()),
                     key=lambda p: -int(p.name[len(path.name) + 1:]))
    return rotated + ([path] if path.exists() else [])


def _check_line(raw: str, previous: str | None, key: bytes | None, keyed_seen: bool) -> str | None:
    """Why this line breaks the chain, or None."""
    try:
        record = json.loads(raw)
    except ValueError:
        return "not a JSON line (edited)"
    if not isinstance(record, dict) or not isinstance(record.get("prev_hash"), str):
        return "no prev_hash (edited)"
    keyed = record.get("chain") == CHAIN
    if keyed_seen and not keyed:
        return "an unkeyed line after keyed lines (rewritten without the audit key)"
    if keyed and key is None:
        raise AuditError(f"the log is keyed but there is no audit key at {audit_key_path()} (set CODI_AUDIT_KEY_FILE "
                         "to the key that wrote it)")
    if keyed and key is not None and record.get("key_id") != key_id(key):
        return (f"written with another audit key (key id {record.get('key_id')}, this key is {key_id(key)}): "
                "rewritten, or the wrong CODI_AUDIT_KEY_FILE")
    if record.get("hash") != line_hash(record, key):
        return "its hash does not match its content (edited" + (" or recomputed without the audit key)" if keyed else ")")
    if previous is not None and record["prev_hash"] != sha256_text(previous):
        return "prev_hash does not match the line before it (a line before it was edited or deleted)"
    return None


def _check_head(path: Path, last_raw: str, count: int, key: bytes | None, result: VerifyResult) -> None:
    """The sidecar guards the end of the log: it must be there, keyed when the log is, and agree."""
    name = f"{path.name}.head"
    head = read_head(path)
    if head is None:
        result.fail(path, count, f"{name} is missing or unreadable: it guards the end of the log (removed to hide "
                                 "deleted last lines?)")
        return
    keyed_log = json.loads(last_raw).get("chain") == CHAIN
    lines = head.get("lines")
    if ("mac" in head or keyed_log) and (
            key is None or head.get("key_id") != key_id(key) or not isinstance(lines, int)
            or head.get("mac") != head_mac(key, path.name, lines, str(head.get("last_hash")))):
        result.fail(path, count, f"{name} was rewritten (its MAC does not verify with the audit key)")
        return
    if head.get("last_hash") != sha256_text(last_raw) or head.get("lines") != count:
        result.fail(path, count, f"the log ends at line {count} but {name} recorded {head.get('lines')} lines "
                                 "ending in another line (lines at the end were deleted or edited)")


def verify_log(path: Path) -> VerifyResult:
    """Check the whole chain, rotated files first, and the ``.head`` sidecar; the first bad line is named.

    Raises AuditError when there is no log, or when it is keyed and the audit key is missing or unusable."""
    result = VerifyResult(str(path))
    files = _chain_files(path)
    result.files = [str(p) for p in files]
    if not files:
        raise AuditError(f"{path}: no audit log there")
    try:
        key = load_key(path)
    except AuditKeyError as exc:
        raise AuditError(str(exc)) from None
    previous: str | None = None
    raw, count, keyed_seen = "", 0, False
    hashes: set[str] = set()  # every line's, for the anchor kept outside the log's folder
    complete = False
    for index, file in enumerate(files):
        try:
            text = file.read_text(encoding="utf-8", errors="surrogateescape")
        except OSError as exc:
            raise AuditError(f"{file}: cannot read: {exc.strerror or exc}") from None
        count = 0
        for number, raw in enumerate(text.splitlines(), start=1):
            first_ever = index == 0 and number == 1
            why = _check_line(raw, previous, key, keyed_seen)
            if why is None and first_ever and file == path and json.loads(raw)["prev_hash"] != GENESIS:
                why = "the first line does not start the chain (lines before it were deleted)"
            if why is not None:
                return result.fail(file, number, why)
            keyed = json.loads(raw).get("chain") == CHAIN
            keyed_seen = keyed_seen or keyed
            hashes.add(sha256_text(raw))
            complete = complete or (first_ever and json.loads(raw)["prev_hash"] == GENESIS)
            result.legacy_lines += 0 if keyed else 1
            previous, count = raw, number
            result.lines += 1
    if not path.exists():  # rotation writes the new file's first line under the same lock
        result.fail(path, None, "the current log file is missing (removed?); only rotated files are left")
    elif not count:
        result.fail(path, None, "the log is empty (its lines were deleted)")
    else:
        _check_head(path, raw, count, key, result)
        if result.ok and key is not None and json.loads(raw).get("chain") == CHAIN:
            why, note = check_anchor(key, path, hashes, complete)
            if why:
                result.fail(path, count, why)
            elif note:
                result.notes.append(note)
    if result.ok and result.legacy_lines:
        result.notes.append(
            f"{result.legacy_lines} line(s) form an unkeyed legacy chain (plain sha256, written before the chain was "
            "keyed)" + (": anchored by the keyed lines after them" if result.status == "ok" else
                        ": intact, but nothing proves they were not rewritten; `codi audit seal` anchors them "
                        "under the audit key"))
    return result
