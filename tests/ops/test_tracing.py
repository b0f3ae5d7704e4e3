"""Tracing: spans to rotating JSONL under <out>/_traces/, nesting, errors, content only on request, redacted."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from codi.telemetry import tracing
from codi.telemetry.tracing import read_spans, slowest_stages, span


@pytest.fixture(autouse=True)
def _out(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ("CODI_TRACE", "CODI_TRACE_CONTENT", "CODI_TRACE_MAX_BYTES", "OTEL_EXPORTER_OTLP_ENDPOINT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(tracing, "_otel", [None])
    tracing.configure(tmp_path / "runs")
    yield tmp_path / "runs"
    tracing.configure(None)


def test_nested_spans_written_with_attrs_and_run(_out: Path) -> None:
    tracing.set_run("r1")
    with span("llm.rank", model="m") as outer:
        with span("llm.generate") as inner:
            inner.set(prompt_tokens=5, completion_tokens=2, fallback=False)
        outer.set(mode="llm")
    tracing.set_run(None)
    records = read_spans(_out)
    assert [r["name"] for r in records] == ["llm.generate", "llm.rank"]
    gen, rank = records
    assert gen["parent_id"] == rank["span_id"] and gen["trace_id"] == rank["trace_id"]
    assert gen["attrs"] == {"prompt_tokens": 5, "completion_tokens": 2, "fallback": False}
    assert rank["attrs"] == {"model": "m", "mode": "llm"} and rank["run_id"] == "r1"
    assert rank["schema_version"] == 1 and rank["duration_ms"] >= 0
    assert [s["stage"] for s in slowest_stages(_out, "r1")] and slowest_stages(_out, "other") == []


def test_error_marks_span_and_propagates(_out: Path) -> None:
    with pytest.raises(ValueError), span("parse"):
        raise ValueError("bad")
    [record] = read_spans(_out)
    assert record["status"] == "error" and record["attrs"]["error"] == "ValueError"


def test_content_off_by_default_on_request_redacted(_out: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    secret = "ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"
    with span("llm.explain") as s:
        s.content(prompt=f"token {secret}", completion="fine")
    monkeypatch.setenv("CODI_TRACE_CONTENT", "1")
    with span("llm.explain") as s:
        s.content(prompt=f"token {secret}", completion="fine")
    first, second = read_spans(_out)
    assert "prompt" not in first["attrs"]
    assert second["attrs"]["completion"] == "fine"
    try:
        import codi.telemetry.redact  # noqa: F401
    except ImportError:
        return
    assert secret not in json.dumps(second)


def test_rotation_by_size_keeps_old_files(_out: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CODI_TRACE_MAX_BYTES", "600")
    for i in range(12):
        with span("lint", i=i):
            pass
    files = sorted(p.name for p in (_out / "_traces").iterdir())
    assert any(name.endswith(".jsonl.1") for name in files) and len(files) <= tracing.KEEP + 1
    assert all(p.stat().st_size <= 600 for p in (_out / "_traces").iterdir())


def test_off_and_no_root_write_nothing(_out: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CODI_TRACE", "0")
    with span("lint"):
        pass
    assert not (_out / "_traces").exists()


def test_otlp_only_for_loopback_and_noop_without_sdk(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tracing, "_otel", [])
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector.example.com:4318")
    assert tracing.otel_tracer() is None
    with span("lint"):  # still works: the OTLP part is a no-op
        pass


def test_a_run_leaves_its_stages_and_slowest_per_run(tmp_path: Path) -> None:
    from codi.service.run import RunOptions, run_project

    tracing.configure(None)
    repo = Path(__file__).resolve().parents[2]
    result = run_project(repo / "demo" / "node", RunOptions(llm=False, rag=False, out=tmp_path / "out"))
    stages = {s["stage"] for s in slowest_stages(tmp_path / "out", result.run_id, limit=20)}
    assert {"parse", "lint", "detect", "render", "contract"} <= stages
