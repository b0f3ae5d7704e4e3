"""Tampering that a plain sha256 chain missed: the keyed chain (HMAC, key outside the log folder) finds it."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

import codi.cli.ops_audit_cmds  # noqa: F401  (registers `audit`)
from codi.cli.app import app
from codi.telemetry.audit import GENESIS, audit_event, audit_log_path, sha256_text
from codi.telemetry.audit_key import audit_key_path, key_id, mac
from codi.telemetry.audit_verify import verify_log

runner = CliRunner()
ATTACKER = b"attacker-key-0123456789abcdef"


@pytest.fixture(autouse=True)
def _env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("CODI_AUDIT_LOG", "CODI_PRODUCTION", "CODI_AUDIT", "CODI_AUDIT_MAX_BYTES", "CODI_AUDIT_KEEP",
                 "CODI_STATE_DIR", "CODI_AUDIT_KEY_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "operator"))


def _write(out: Path, n: int = 4) -> Path:
    for i in range(n):
        audit_event(out, "run", actor="alice", dockerfile_sha256=f"{i:064x}", decision="ok")
    return audit_log_path(out)


def _verify(path: Path) -> Result:
    return runner.invoke(app, ["audit", "verify", "--log", str(path)])


def _canonical(record: dict[str, object]) -> str:
    return json.dumps(record, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def _rechain(lines: list[str], key: bytes | None) -> list[str]:
    """What an attacker does: rewrite every line and recompute the chain (as legacy sha256, or under ``key``)."""
    out: list[str] = []
    previous = None
    for raw in lines:
        record = json.loads(raw)
        record.pop("hash")
        if key is None:
            record.pop("chain", None)
            record.pop("key_id", None)
        record["actor"] = "mallory"
        record["prev_hash"] = sha256_text(previous) if previous is not None else GENESIS
        body = _canonical(record)
        record["hash"] = mac(key, body) if key is not None else sha256_text(body)
        previous = _canonical(record)
        out.append(previous)
    return out


def _head(path: Path) -> Path:
    return path.with_name(path.name + ".head")


def test_the_key_is_made_on_first_use_private_and_outside_the_log(tmp_path: Path) -> None:
    path = _write(tmp_path)
    key = audit_key_path()
    assert key == tmp_path / "operator" / "codi" / "audit.key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600 and not key.is_relative_to(path.parent)
    record = json.loads(path.read_text().splitlines()[0])
    assert record["chain"] == "hmac-sha256" and len(record["key_id"]) == 16
    result = _verify(path)
    assert result.exit_code == 0 and "keyed chain intact" in result.stdout


def test_last_line_deleted_is_found(tmp_path: Path) -> None:
    path = _write(tmp_path)
    path.write_text("\n".join(path.read_text().splitlines()[:-1]) + "\n")
    result = _verify(path)
    assert result.exit_code == 1 and "audit.jsonl:3:" in result.stderr and "deleted" in result.stderr


def test_last_line_deleted_and_head_rewritten_without_the_key_is_found(tmp_path: Path) -> None:
    path = _write(tmp_path)
    lines = path.read_text().splitlines()[:-1]
    path.write_text("\n".join(lines) + "\n")
    head = json.loads(_head(path).read_text())
    head.update(lines=3, last_hash=sha256_text(lines[-1]))
    _head(path).write_text(json.dumps(head))
    result = _verify(path)
    assert result.exit_code == 1 and "head was rewritten" in result.stderr
    head.pop("mac")
    head.pop("key_id")
    _head(path).write_text(json.dumps(head))  # an unkeyed head for a keyed log
    assert not verify_log(path).ok


def test_removed_head_is_a_failure(tmp_path: Path) -> None:
    path = _write(tmp_path)
    _head(path).unlink()
    result = _verify(path)
    assert result.exit_code == 1 and ".head is missing" in result.stderr and "ok" not in result.stdout
    path.write_text("\n".join(path.read_text().splitlines()[:-1]) + "\n")  # and the last line with it
    assert _verify(path).exit_code == 1


def test_a_rewritten_line_is_found(tmp_path: Path) -> None:
    path = _write(tmp_path)
    lines = path.read_text().splitlines()
    lines[2] = lines[2].replace('"actor":"alice"', '"actor":"mallory"')
    path.write_text("\n".join(lines) + "\n")
    result = _verify(path)
    assert result.exit_code == 1 and "audit.jsonl:3:" in result.stderr


def test_whole_chain_recomputed_without_the_key_is_not_ok(tmp_path: Path) -> None:
    path = _write(tmp_path)
    lines = _rechain(path.read_text().splitlines(), None)
    path.write_text("\n".join(lines) + "\n")
    _head(path).write_text(json.dumps({"schema_version": 1, "lines": 4, "last_hash": sha256_text(lines[-1])}))
    result = verify_log(path)
    assert result.status == "legacy" and result.legacy_lines == 4
    cli = _verify(path)
    assert cli.exit_code == 1 and "unkeyed legacy chain" in cli.stderr


def test_whole_chain_recomputed_with_another_key_is_found(tmp_path: Path) -> None:
    path = _write(tmp_path)
    original = path.read_text().splitlines()
    path.write_text("\n".join(_rechain(original, ATTACKER)) + "\n")  # the real key's id kept
    result = _verify(path)
    assert result.exit_code == 1 and "audit.jsonl:1:" in result.stderr and "without the audit key" in result.stderr
    own = [json.dumps({**json.loads(line), "key_id": key_id(ATTACKER)}) for line in original]
    path.write_text("\n".join(_rechain(own, ATTACKER)) + "\n")  # the attacker's key's id
    result = _verify(path)
    assert result.exit_code == 1 and "audit.jsonl:1:" in result.stderr and "another audit key" in result.stderr


def test_keyed_lines_then_legacy_lines_are_found(tmp_path: Path) -> None:
    path = _write(tmp_path)
    lines = path.read_text().splitlines()
    record = json.loads(_rechain([lines[-1]], None)[0])
    record["prev_hash"] = sha256_text(lines[-2])
    record.pop("hash")
    record["hash"] = sha256_text(_canonical(record))
    lines[-1] = _canonical(record)
    path.write_text("\n".join(lines) + "\n")
    result = verify_log(path)
    assert not result.ok and result.bad_line == 4 and "unkeyed line after keyed lines" in (result.reason or "")


def test_a_missing_key_is_a_usage_error_not_a_pass(tmp_path: Path) -> None:
    path = _write(tmp_path)
    audit_key_path().unlink()
    result = _verify(path)
    assert result.exit_code == 2 and "no audit key" in result.stderr


def test_a_key_inside_the_log_folder_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CODI_AUDIT_KEY_FILE", str(tmp_path / "_audit" / "audit.key"))
    monkeypatch.setenv("CODI_PRODUCTION", "1")
    with pytest.raises(Exception, match="inside the log's folder"):
        audit_event(tmp_path, "run")


def test_removed_current_file_with_rotated_ones_left_is_found(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CODI_AUDIT_MAX_BYTES", "700")
    path = _write(tmp_path, 6)
    assert path.with_name("audit.jsonl.1").exists()
    assert verify_log(path).ok
    path.unlink()
    _head(path).unlink()
    assert not verify_log(path).ok


def test_a_legacy_log_reads_as_legacy_and_seal_anchors_it(tmp_path: Path) -> None:
    """A log an older CODI wrote (plain sha256 chain): readable, reported as legacy, sealed under the key."""
    path = tmp_path / "_audit" / "audit.jsonl"
    path.parent.mkdir()
    lines, previous = [], None
    for i in range(3):
        record: dict[str, object] = {"schema_version": 1, "ts": f"2026-01-0{i + 1}T00:00:00.000000Z",
                                     "actor": "alice", "action": "run",
                                     "prev_hash": sha256_text(previous) if previous else GENESIS}
        record["hash"] = sha256_text(_canonical(record))
        previous = _canonical(record)
        lines.append(previous)
    path.write_text("\n".join(lines) + "\n")
    _head(path).write_text(json.dumps({"schema_version": 1, "lines": 3, "last_hash": sha256_text(lines[-1])}))

    result = verify_log(path)
    assert result.ok and result.status == "legacy" and result.legacy_lines == 3
    assert _verify(path).exit_code == 1

    sealed = runner.invoke(app, ["audit", "seal", "--log", str(path), "--json"])
    assert sealed.exit_code == 0, sealed.stderr
    assert json.loads(sealed.stdout) == {"schema_version": 1, "path": str(path), "sealed": True, "legacy_lines": 3}
    after = verify_log(path)
    assert after.status == "ok" and after.lines == 4 and any("anchored" in n for n in after.notes)
    assert _verify(path).exit_code == 0

    edited = path.read_text().splitlines()
    edited[0] = edited[0].replace('"actor":"alice"', '"actor":"mallory"')
    path.write_text("\n".join(edited) + "\n")
    assert not verify_log(path).ok
    refused = runner.invoke(app, ["audit", "seal", "--log", str(path)])
    assert refused.exit_code == 1 and "nothing sealed" in refused.stderr
