"""The adapter that ships in codi/llm/adapter/ (issue 23): it is the file its manifest describes, it is the
one the evidence promoted, it is used by default and refused when tampered with."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from llmkit import needs_model

from codi.config import paths
from codi.llm.adapters import AdapterError, verify_adapter
from codi.optimise.catalog import load_catalog
from codi.training.promote import decide

SHIPPED = Path(paths.__file__).resolve().parents[1] / "llm" / "adapter"
REPO = Path(__file__).resolve().parents[2]
# Issue 23 is open until `make adapter` has shipped one; then every test here checks it.
pytestmark = pytest.mark.skipif(not (SHIPPED / "metadata.json").is_file(),
                                reason="no adapter shipped in codi/llm/adapter yet (issue 23: run `make adapter`)")


def _meta() -> dict[str, object]:
    return json.loads((SHIPPED / "metadata.json").read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_the_shipped_adapter_is_the_one_its_manifest_describes() -> None:
    report = verify_adapter(SHIPPED, "SmolLM2-135M-Instruct.gguf", load_catalog(None).ruleset_version)
    assert report.ok, report.problems
    meta = _meta()
    assert report.gguf == meta["gguf"] and (SHIPPED / str(report.gguf)).stat().st_size > 0
    sums = dict(reversed(line.split("  ", 1)) for line in (SHIPPED / "SHA256SUMS").read_text().splitlines())
    listed = set(meta["checksums"])  # type: ignore[arg-type]
    assert set(sums) | {"SHA256SUMS"} == listed
    for name, digest in sums.items():
        assert _sha(SHIPPED / name) == digest, name
    for name in ("run_manifest.json", "data_card.json", "DATA_CARD.md", "eval.json", "train_report.json"):
        assert name in listed, f"{name} does not ship with the adapter"


def test_the_evidence_promotes_this_adapter() -> None:
    meta = _meta()
    evaluation = json.loads((SHIPPED / "eval.json").read_text(encoding="utf-8"))
    assert decide(evaluation, str(meta["version"])) == []
    assert evaluation["acceptance"]["adapter"]["value"] >= 0.8
    manifest = json.loads((SHIPPED / "run_manifest.json").read_text(encoding="utf-8"))
    assert manifest["exit"]["status"] == "ok"
    assert manifest["dataset_hashes"] == meta["dataset"]["hashes"]  # type: ignore[index]
    assert meta["weights_dtype"] == "float16"


def test_it_is_the_default_and_can_be_turned_off(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("ADAPTER_PATH", raising=False)
    monkeypatch.setenv("CODI_STATE_DIR", str(tmp_path / "state"))  # no installed bundle
    assert paths.adapter_path_from_env() == str(SHIPPED)
    monkeypatch.setenv("ADAPTER_PATH", "none")
    assert paths.adapter_path_from_env() is None
    monkeypatch.setenv("ADAPTER_PATH", str(tmp_path / "mine"))
    assert paths.adapter_path_from_env() == str(tmp_path / "mine")


@needs_model
def test_a_tampered_copy_is_refused_when_it_loads(tmp_path: Path) -> None:
    from codi.llm.runtime import embedded

    copy = tmp_path / "adapter"
    shutil.copytree(SHIPPED, copy)
    gguf = copy / str(_meta()["gguf"])
    data = bytearray(gguf.read_bytes())
    data[-1] ^= 0xFF
    gguf.write_bytes(bytes(data))
    with pytest.raises(AdapterError, match="sha256 mismatch"):
        embedded(None, str(copy))


@needs_model
def test_codi_run_uses_the_shipped_adapter_by_default(tmp_path: Path) -> None:
    env = {k: v for k, v in __import__("os").environ.items() if k not in ("ADAPTER_PATH", "LLM_ENABLED")}
    env.update(CODI_STATE_DIR=str(tmp_path / "state"), LLM_ENDPOINT="")
    out = tmp_path / "runs"
    done = subprocess.run([sys.executable, "-m", "codi", "run", str(REPO / "demo" / "python"), "--out", str(out),
                           "--disable-rag"], capture_output=True, text=True, env=env, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    run_dir = next(p for p in out.iterdir() if p.is_dir() and not p.name.startswith(("_", ".")))
    llm = json.loads((run_dir / "metadata" / "llm_metrics.json").read_text(encoding="utf-8"))
    assert llm["adapter_version"] == _meta()["version"]
    assert llm["calls"] >= 1
    report = (run_dir / "reports" / "report.md").read_text(encoding="utf-8")
    assert f"with the adapter {_meta()['version']}" in report
    assert "model time:" in done.stdout
