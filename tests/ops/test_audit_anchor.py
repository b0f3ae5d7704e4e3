"""The audit log's anchor outside its folder (QA, issue 19 §5): putting back an older copy of the log with
its own (genuine) .head is found; a log that grew past the anchor passes; a restore re-anchors."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

import codi.cli.ops_audit_cmds  # noqa: F401  (registers `audit`)
from codi.cli.app import app
from codi.telemetry.audit import audit_event, audit_log_path, reanchor
from codi.telemetry.audit_anchor import anchor_path
from codi.telemetry.audit_verify import verify_log

runner = CliRunner()


@pytest.fixture(autouse=True)
def _env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("CODI_AUDIT_LOG", "CODI_PRODUCTION", "CODI_AUDIT", "CODI_AUDIT_MAX_BYTES", "CODI_AUDIT_KEEP",
                 "CODI_STATE_DIR", "CODI_AUDIT_KEY_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "operator"))


def _write(out: Path, n: int) -> Path:
    for i in range(n):
        audit_event(out, "run", actor="alice", dockerfile_sha256=f"{i:064x}", decision="ok")
    return audit_log_path(out)


def test_an_older_copy_of_log_and_head_put_back_is_found(tmp_path: Path) -> None:
    out = tmp_path / "runs"
    log = _write(out, 3)
    saved = tmp_path / "saved"
    shutil.copytree(log.parent, saved)
    _write(out, 2)  # the lines a rollback would hide
    shutil.rmtree(log.parent)
    shutil.copytree(saved, log.parent)
    assert not anchor_path(log).is_relative_to(log.parent)
    result = runner.invoke(app, ["audit", "verify", "--log", str(log)])
    assert result.exit_code == 1 and "rolled back or truncated" in result.stderr, result.output
    assert "Traceback" not in result.output


def test_a_rewritten_anchor_is_found_and_a_grown_log_passes(tmp_path: Path) -> None:
    out = tmp_path / "runs"
    log = _write(out, 2)
    assert verify_log(log).ok
    anchor = anchor_path(log)
    before = anchor.read_text()
    anchor.write_text(before.replace('"lines": 2', '"lines": 1'))
    result = verify_log(log)
    assert not result.ok and "anchor" in (result.reason or "")
    anchor.write_text(before)
    _write(out, 1)
    anchor.write_text(before)  # another replica's state folder saw only the first two lines
    assert verify_log(log).ok


def test_reanchor_accepts_a_log_put_back_on_purpose(tmp_path: Path) -> None:
    out = tmp_path / "runs"
    log = _write(out, 2)
    saved = tmp_path / "saved"
    shutil.copytree(log.parent, saved)
    _write(out, 2)
    shutil.rmtree(log.parent)
    shutil.copytree(saved, log.parent)
    assert not verify_log(log).ok
    reanchor(log)  # what `codi backup restore` does after its swap
    assert verify_log(log).ok


def test_an_unanchored_log_is_noted_not_failed(tmp_path: Path) -> None:
    log = _write(tmp_path / "runs", 2)
    anchor_path(log).unlink()
    result = verify_log(log)
    assert result.ok and any("no anchor" in n for n in result.notes)
