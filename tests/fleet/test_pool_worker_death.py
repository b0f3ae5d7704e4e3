"""A worker killed mid-task (as the OOM killer would) breaks a process pool; `--jobs N` goes on:
the tasks in flight are tried again, and only a task that kills its worker every time fails."""

from __future__ import annotations

import os
import signal
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import pytest

from codi.service.pool import WorkerPool


def double_or_die(task: tuple[str, str]) -> str:
    """``("die-once", marker)`` kills its worker the first time; ``("die", _)`` every time."""
    word, marker = task
    if word == "die" or (word == "die-once" and not os.path.exists(marker)):
        Path(marker).write_text("killed", encoding="utf-8")
        os.kill(os.getpid(), signal.SIGKILL)
    return word * 2


@pytest.mark.parametrize("start_method", ["fork", "forkserver"])
def test_a_killed_worker_is_retried_and_the_rest_go_on(tmp_path: Path, start_method: str) -> None:
    marker = str(tmp_path / "killed")
    words = ["a", "b", "die-once", "c", "d", "e", "f"]
    with WorkerPool(double_or_die, 2, start_method=start_method) as pool:
        results = list(pool.ordered([(w, marker) for w in words]))
        assert pool.restarts == 1
    assert results == [w * 2 for w in words]
    assert Path(marker).exists()  # the first try really died


def test_only_the_task_that_always_kills_its_worker_fails(tmp_path: Path) -> None:
    words = ["a", "die", "b", "c", "d"]
    with WorkerPool(double_or_die, 2) as pool:
        outcomes = {index: future for index, future in pool.completed([(w, str(tmp_path / "m")) for w in words])}
    assert sorted(outcomes) == list(range(len(words)))
    assert isinstance(outcomes[1].exception(), BrokenProcessPool)
    assert {i: outcomes[i].result() for i in (0, 2, 3, 4)} == {0: "aa", 2: "bb", 3: "cc", 4: "dd"}
