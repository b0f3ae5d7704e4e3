"""A run's logs/events.jsonl is capped and ends with one "truncated" event; it lands with the run."""

from __future__ import annotations

import json
from pathlib import Path

from codi.artifacts.eventlog import EventLog
from codi.artifacts.rundir import RunWriter, reserve_run_dir


def test_cap_ends_with_one_truncated_event(tmp_path: Path) -> None:
    log = EventLog(tmp_path / "events.jsonl", cap=4096)
    written = sum(log.write({"ts": "t", "event": "step", "n": i, "pad": "x" * 50}) for i in range(500))
    log.close()
    lines = [json.loads(line) for line in (tmp_path / "events.jsonl").read_text().splitlines()]
    assert (tmp_path / "events.jsonl").stat().st_size <= 4096
    assert len(lines) == written + 1 and lines[-1]["event"] == "truncated"
    assert sum(1 for line in lines if line["event"] == "truncated") == 1
    assert log.dropped == 500 - written


def test_run_writer_log_is_only_visible_once_committed(tmp_path: Path) -> None:
    run_id, _ = reserve_run_dir(tmp_path, "go", "demo")
    writer = RunWriter(tmp_path, run_id)
    writer.event("run.started", project="demo")
    assert not (tmp_path / run_id / "logs" / "events.jsonl").exists()
    writer.commit()
    [line] = (tmp_path / run_id / "logs" / "events.jsonl").read_text().splitlines()
    assert json.loads(line)["event"] == "run.started"
