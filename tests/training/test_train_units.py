"""Fast checks of the training pieces that need no model: packing, GGUF names, statistics, promotion."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from codi.training.eval import bootstrap, claims_of_facts, facts_in, suite_items
from codi.training.gguf_lora import gguf_tensor_name, permute_rows
from codi.training.promote import PromotionRefused, decide, promote, promoted_version
from codi.training.train import IGNORE, pack

np = pytest.importorskip("numpy")


def test_pack_keeps_pairs_whole_and_restarts_positions() -> None:
    encoded = [([1, 2, 3], [IGNORE, 2, 3]), ([4, 5], [IGNORE, 5]), ([6, 7, 8, 9], [IGNORE, IGNORE, 8, 9])]
    blocks = pack(encoded, seq_len=6)
    assert [b.input_ids for b in blocks] == [[1, 2, 3, 4, 5], [6, 7, 8, 9]]
    assert blocks[0].position_ids == [0, 1, 2, 0, 1]
    assert blocks[0].labels == [IGNORE, 2, 3, IGNORE, 5]


def test_gguf_names_follow_the_base_gguf() -> None:
    assert gguf_tensor_name("base_model.model.model.layers.3.self_attn.q_proj.lora_A.weight") == \
        "blk.3.attn_q.weight.lora_a"
    assert gguf_tensor_name("base_model.model.model.layers.29.mlp.down_proj.lora_B.weight") == \
        "blk.29.ffn_down.weight.lora_b"
    assert gguf_tensor_name("base_model.model.lm_head.weight") is None


def test_permute_rows_is_llama_cpps_rope_permutation() -> None:
    # 2 heads of 4 rows: within a head rows (0,1,2,3) become (0,2,1,3) -- interleaved halves.
    w = np.arange(8, dtype=np.float32).reshape(8, 1)
    assert permute_rows(w, 2)[:, 0].tolist() == [0, 2, 1, 3, 4, 6, 5, 7]


def test_bootstrap_ci_brackets_the_value() -> None:
    rows = [(1.0, 2.0), (2.0, 2.0), (0.0, 1.0), (3.0, 4.0)]
    out = bootstrap(rows, 300, seed=1)
    assert out["value"] == pytest.approx(6 / 9, abs=1e-3)
    lo, hi = out["ci95"]
    assert lo <= out["value"] <= hi
    assert bootstrap([], 100, 1)["value"] is None


def test_claims_and_facts_of_an_explain_prompt() -> None:
    facts = "Change: x.\nSize (estimated): 1044 MB -> 150 MB, 894 MB smaller (-85.6%). Layers: 9 -> 5.\nRisk: medium."
    assert claims_of_facts(facts) == {"size": "down", "size_mb": "1044->150", "layers": "down", "risk": "medium"}
    assert facts_in("The image goes from 1044 MB to 150 MB on python:3.12-slim.") >= 3


def test_suite_of_projects_or_of_dockerfiles(tmp_path: Path) -> None:
    (tmp_path / "p" / "a").mkdir(parents=True)
    (tmp_path / "p" / "a" / "Dockerfile").write_text("FROM alpine\n")
    assert [name for name, _, _ in suite_items(tmp_path / "p")] == ["a"]
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "x.Dockerfile").write_text("FROM alpine\n")
    assert suite_items(tmp_path / "d") == [("x.Dockerfile", tmp_path / "d", "x.Dockerfile")]


def _report(version: str, base_acc: float, ours_acc: float, parse: float = 1.0) -> dict[str, object]:
    det = {"parse_rate": {"value": 1.0}, "lint_delta_mean": {"value": 4.0}, "contract_ok_rate": {"value": 1.0},
           "top_is_deterministic_best": {"value": 1.0}}
    ours = dict(det, parse_rate={"value": parse})
    return {"adapter": {"version": version}, "deterministic": {"base": det, "adapter": ours},
            "acceptance": {"split": "held_out", "base": {"value": base_acc, "ci95": [0, 1]},
                           "adapter": {"value": ours_acc, "ci95": [0, 1]}}}


def test_promotion_rule() -> None:
    assert decide(_report("v1", 0.2, 0.6), "v1") == []
    assert any("not better" in r for r in decide(_report("v1", 0.6, 0.6), "v1"))
    assert any("parse_rate" in r for r in decide(_report("v1", 0.2, 0.6, parse=0.9), "v1"))
    assert any("evaluates adapter" in r for r in decide(_report("v0", 0.2, 0.6), "v1"))


def test_promote_records_next_to_the_bundles(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from codi.llm.adapters import write_metadata

    monkeypatch.setenv("CODI_STATE_DIR", str(tmp_path / "state"))
    adapter = tmp_path / "adapter"
    adapter.mkdir()
    for name in ("adapter_config.json", "adapter_model.safetensors", "codi-lora.gguf"):
        (adapter / name).write_text("x")
    write_metadata(adapter, "v1", "HuggingFaceTB/SmolLM2-135M-Instruct", "2026.1.0", "2026-01-01T00:00:00Z")
    report = tmp_path / "eval.json"
    report.write_text(json.dumps(_report("v1", 0.6, 0.5)))
    with pytest.raises(PromotionRefused):
        promote(adapter, report)
    report.write_text(json.dumps(_report("v1", 0.2, 0.5)))
    record = promote(adapter, report)
    assert record["version"] == "v1" and promoted_version() == "v1"
    saved = json.loads((tmp_path / "state" / "bundles" / "adapter" / "promoted.json").read_text())
    assert saved["current"]["eval_report"] == "promotions/v1/eval.json"
    assert (tmp_path / "state" / "bundles" / "adapter" / "promotions" / "v1" / "eval.json").is_file()
