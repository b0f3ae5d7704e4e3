"""Adapter folder verification and `codi adapter verify` exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

import codi.cli.llm_cmds  # noqa: F401  (registers the commands)
from codi.cli.app import app
from codi.llm.adapters import AdapterError, require_adapter, verify_adapter, write_metadata

BASE = "HuggingFaceTB/SmolLM2-135M-Instruct"
runner = CliRunner()


def make_adapter(root: Path, gguf: bytes = b"GGUF-placeholder", ruleset: str = "2026.11.1") -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "adapter_config.json").write_text(json.dumps({"r": 4, "lora_alpha": 8, "base_model_name_or_path": BASE}))
    (root / "adapter_model.safetensors").write_bytes(b"\x00" * 64)
    (root / "adapter.gguf").write_bytes(gguf)
    write_metadata(root, "v0.1", BASE, ruleset, "2026-11-23T00:00:00Z")
    return root


def test_valid_adapter(tmp_path: Path) -> None:
    report = verify_adapter(make_adapter(tmp_path / "a"), "SmolLM2-135M-Instruct.Q4_1.gguf", "2026.11.3")
    assert report.ok and report.exit_code == 0 and report.problems == []
    assert report.version == "v0.1" and report.gguf == "adapter.gguf"


@pytest.mark.parametrize("damage, needle", [
    (lambda d: (d / "adapter.gguf").write_bytes(b"changed"), "sha256 mismatch"),
    (lambda d: (d / "notes.txt").write_text("x"), "not listed"),
    (lambda d: (d / "adapter_model.safetensors").unlink(), "listed but missing"),
])
def test_mismatches_exit_1(tmp_path: Path, damage: object, needle: str) -> None:
    root = make_adapter(tmp_path / "a")
    damage(root)  # type: ignore[operator]
    report = verify_adapter(root)
    assert report.exit_code == 1 and any(needle in p for p in report.problems), report.problems


def _rewrite_meta(root: Path, **changes: object) -> None:
    meta = json.loads((root / "metadata.json").read_text())
    meta.update(changes)
    (root / "metadata.json").write_text(json.dumps(meta))


def test_outside_paths_and_empty_checksums(tmp_path: Path) -> None:
    root = make_adapter(tmp_path / "a")
    (tmp_path / "secret").write_text("s")
    meta = json.loads((root / "metadata.json").read_text())
    _rewrite_meta(root, checksums={**meta["checksums"], "../secret": "0" * 64})
    assert any("outside" in p for p in verify_adapter(root).problems)
    _rewrite_meta(root, checksums={})
    report = verify_adapter(root)
    assert report.exit_code == 1 and any("non-empty" in p for p in report.problems)


def test_compatibility(tmp_path: Path) -> None:
    root = make_adapter(tmp_path / "a", ruleset="2025.01.0")
    assert any("ruleset" in p for p in verify_adapter(root, ruleset="2026.11.1").problems)
    assert any("base model" in p for p in verify_adapter(root, "qwen2.5-coder-1.5b-q4_k_m.gguf").problems)
    with pytest.raises(AdapterError, match="refused"):
        require_adapter(root, "SmolLM2-135M-Instruct.Q4_1.gguf", "2026.11.1")


def test_cli_exit_codes(tmp_path: Path) -> None:
    root = make_adapter(tmp_path / "a")
    ok = runner.invoke(app, ["adapter", "verify", str(root), "--json"])
    assert ok.exit_code == 0 and json.loads(ok.stdout)["ok"] is True
    (root / "adapter.gguf").write_bytes(b"tampered")
    assert runner.invoke(app, ["adapter", "verify", str(root)]).exit_code == 1
    assert runner.invoke(app, ["adapter", "verify", str(tmp_path / "missing")]).exit_code == 2
    (tmp_path / "file").write_text("x")
    assert runner.invoke(app, ["adapter", "verify", str(tmp_path / "file")]).exit_code == 2
