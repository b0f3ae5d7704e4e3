"""Training telemetry: metrics rows and their key order, rotation, the sampler (also without psutil), the manifest."""

from __future__ import annotations

import builtins
import json
from pathlib import Path
from typing import Any

import pytest

from codi.training import sysmon
from codi.training.manifest import selected_env
from codi.training.ndjson import NdjsonWriter
from codi.training.telemetry import TelemetryRun, metric_row

ROW_KEYS = ["ts", "run_id", "step", "split", "name", "value", "tags"]


def _lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_rows_keep_the_fixed_key_order(tmp_path: Path) -> None:
    with TelemetryRun(tmp_path, "run-1", 7, {"id": "smollm2"}, {"train": "ab"}, sample_every=60,
                      tensorboard=False) as run:
        run.log(1, "train", "loss", 2.5, "train")
        run.log(1, "val", "loss", 2.75, "eval")
        run.log(2, "train", "loss", float("nan"), "train")
    rows = _lines(tmp_path / "metrics.ndjson")
    assert [list(r) for r in rows] == [ROW_KEYS] * 3
    assert rows[0]["tags"] == {"phase": "train"} and rows[1]["tags"] == {"phase": "eval"}
    assert rows[1]["value"] == 2.75 and rows[2]["value"] is None  # NaN is not JSON
    assert (tmp_path / "metrics.ndjson").read_text().splitlines()[0].startswith('{"ts": ')


def test_phase_must_be_train_or_eval() -> None:
    with pytest.raises(ValueError):
        metric_row("r", 0, "train", "loss", 1.0, "test")


def test_rotation_by_size(tmp_path: Path) -> None:
    writer = NdjsonWriter(tmp_path / "metrics.ndjson", max_bytes=400, keep=2)
    for step in range(40):
        writer.write(metric_row("r", step, "train", "loss", 1.0, "train", ts=1.0))
    writer.close()
    files = sorted(p.name for p in tmp_path.iterdir())
    assert files == ["metrics.ndjson", "metrics.ndjson.1", "metrics.ndjson.2"]
    assert all((tmp_path / f).stat().st_size <= 400 for f in files)
    steps = [r["step"] for f in ("metrics.ndjson.2", "metrics.ndjson.1", "metrics.ndjson")
             for r in _lines(tmp_path / f)]
    assert steps == sorted(steps) and steps[-1] == 39  # the oldest rotations were dropped, the order kept


def test_sampler_rows_and_clean_stop(tmp_path: Path) -> None:
    sampler = sysmon.SystemSampler(tmp_path / "system.ndjson", "r", every=60)
    sampler.start()
    sampler.stop()
    assert not sampler.is_alive()
    rows = _lines(tmp_path / "system.ndjson")
    assert len(rows) == 2 == sampler.samples  # one at start, one at the stop
    assert rows[0]["degraded"] is False and rows[0]["rss_bytes"] > 0 and rows[0]["ram_total_bytes"] > 0
    assert {"cpu_percent", "ram_used_bytes", "load_1m"} <= set(rows[0]) and "gpu" not in rows[0]


def test_sampler_without_psutil_is_degraded_not_failing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real_import = builtins.__import__

    def no_psutil(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "psutil":
            raise ImportError("psutil hidden by the test")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_psutil)
    sampler = sysmon.SystemSampler(tmp_path / "system.ndjson", "r", every=60)
    assert "degraded" in sampler.status
    row = sampler.sample()
    sampler.writer.close()
    assert row["degraded"] is True
    assert row["rss_bytes"] is None or row["rss_bytes"] > 0
    assert {"cpu_percent", "ram_used_bytes", "ram_total_bytes", "load_1m"} <= set(row)


def test_gpu_only_when_opted_in(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(sysmon.GPU_ENV, raising=False)
    assert sysmon._gpu() == (None, f"gpu off ({sysmon.GPU_ENV}=1 turns it on)")
    monkeypatch.setenv(sysmon.GPU_ENV, "1")
    gpu, note = sysmon._gpu()  # no NVML here, or a real one: never an exception
    assert gpu is not None or note.startswith("gpu unavailable")


def test_manifest_at_start_and_end(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CODI_TEST_FLAG", "1")
    monkeypatch.setenv("CODI_API_TOKEN", "hidden")
    monkeypatch.setenv("OMP_NUM_THREADS", "2")
    run = TelemetryRun(tmp_path, "run-2", 11, {"id": "smollm2", "sha256": "f" * 64}, {"train": "aa"},
                       sample_every=60, tensorboard=False)
    with run:
        started = json.loads((tmp_path / "run_manifest.json").read_text())
        assert started["exit"] == {"status": "running", "code": None} and started["finished_at"] is None
    done = json.loads((tmp_path / "run_manifest.json").read_text())
    for key in ("python", "platform", "git_sha", "lock_sha256", "seed", "base_model", "dataset_hashes", "env",
                "versions"):
        assert key in done
    assert done["seed"] == 11 and done["dataset_hashes"] == {"train": "aa"} and done["lock_file"]
    assert done["env"]["CODI_TEST_FLAG"] == "1" and done["env"]["OMP_NUM_THREADS"] == "2"
    assert "CODI_API_TOKEN" not in done["env"]
    assert set(done["versions"]) == {"torch", "transformers", "peft", "gguf"}
    assert done["exit"] == {"status": "ok", "code": 0} and done["finished_at"] and done["system_samples"] == 2


def test_manifest_records_the_failure(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError), TelemetryRun(tmp_path, "run-3", 1, "smollm2", {}, sample_every=60,
                                                   tensorboard=False):
        raise RuntimeError("out of memory")
    done = json.loads((tmp_path / "run_manifest.json").read_text())
    assert done["exit"]["status"] == "failed" and "out of memory" in done["exit"]["error"]


def test_optional_writers_say_their_status(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with TelemetryRun(tmp_path, "run-4", 1, "smollm2", {}, sample_every=60):
        pass
    err = capsys.readouterr().err
    assert "ndjson writer enabled" in err
    assert "tensorboard writer enabled" in err or "tensorboard writer disabled (" in err
    assert "system sampler enabled" in err


def test_selected_env_never_keeps_secret_looking_names() -> None:
    env = {"CODI_OUTPUT_ROOT": "runs", "CODI_SECRET_KEY": "x", "HOME": "/root", "LLAMA_CPP_THREADS": "1",
           "CODI_PASSWORD": "p"}
    assert selected_env(env) == {"CODI_OUTPUT_ROOT": "runs", "LLAMA_CPP_THREADS": "1"}
