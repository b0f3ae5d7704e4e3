"""`codi lint --jobs N` / `codi fix --jobs N`: the same bytes as one process, in the same order."""

from __future__ import annotations

import os
import shutil
import signal
from pathlib import Path

import pytest
from typer.testing import CliRunner

import codi.cli.fix_cmd  # noqa: F401  (attaches `fix`)
import codi.cli.lint_cmd  # noqa: F401  (attaches `lint`)
from codi.cli.app import app
from codi.cli.output import FORMAT_NAMES
from codi.service import lint_jobs
from codi.service.batches import plan_batches

ENV = {"CODI_SELECT": None, "CODI_IGNORE": None, "CODI_EXTEND_SELECT": None, "CODI_CONFIG": None, "NO_COLOR": "1"}


@pytest.fixture
def files(corpus: list[Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """36 corpus files copied into a few folders, and batches small enough for several per worker."""
    monkeypatch.setattr(lint_jobs, "MIN_BATCH_WEIGHT", 1)
    monkeypatch.setenv("CODI_CACHE_DIR", str(tmp_path / "cache"))
    out = []
    for n, src in enumerate(corpus[:36]):
        folder = tmp_path / "tree" / f"d{n % 4}"
        folder.mkdir(parents=True, exist_ok=True)
        dest = folder / src.name
        shutil.copyfile(src, dest)
        out.append(str(dest))
    return out


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner(env=ENV).invoke(app, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize("fmt", FORMAT_NAMES)
def test_lint_jobs_output_is_byte_identical(files: list[str], fmt: str) -> None:
    one = _run("lint", "--format", fmt, "--jobs", "1", *files)
    two = _run("lint", "--format", fmt, "--jobs", "2", *files)
    three = _run("lint", "--format", fmt, "-j", "3", *files)
    assert one[1]  # something was reported
    assert one == two == three


def test_lint_jobs_really_batches(files: list[str]) -> None:
    weights = [lint_jobs.weight(Path(f).read_text(encoding="utf-8", errors="surrogateescape")) for f in files]
    batches = plan_batches(weights, 2, 1)
    assert len(batches) == 8 and sorted(i for b in batches for i in b) == list(range(len(files)))


def test_fix_diff_jobs_is_byte_identical(files: list[str]) -> None:
    one = _run("fix", "--diff", "--unsafe-fixes", "--jobs", "1", *files)
    two = _run("fix", "--diff", "--unsafe-fixes", "--jobs", "2", *files)
    assert one[1] and one == two


def test_fix_jobs_writes_the_same_files(files: list[str], tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(tmp_path / "tree", copy)
    first = _run("fix", "--format", "json", "--jobs", "1", str(tmp_path / "tree"))
    second = _run("fix", "--format", "json", "--jobs", "2", str(copy))
    assert first[0] == second[0]
    assert first[1].replace(str(tmp_path / "tree"), "T") == second[1].replace(str(copy), "T")
    for path in (tmp_path / "tree").rglob("*.Dockerfile"):
        assert path.read_bytes() == (copy / path.relative_to(tmp_path / "tree")).read_bytes()


def always_die(batch: object) -> object:
    """A batch whose worker is killed every time it runs (as the OOM killer would)."""
    os.kill(os.getpid(), signal.SIGKILL)
    return batch


def test_a_batch_that_kills_its_worker_every_time_is_a_clear_exit_2(
        files: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lint_jobs, "_lint_batch", always_die)
    code, out, err = _run("lint", "--jobs", "2", *files)
    assert code == 2 and out == ""
    assert "worker process died twice on the same batch" in err and "--jobs 1" in err
    assert "Traceback" not in err and "internal error" not in err


def test_jobs_must_be_positive(files: list[str]) -> None:
    code, _, err = _run("lint", "--jobs", "0", files[0])
    assert code == 2 and "--jobs 0" in err


def test_plan_batches_is_contiguous_and_balanced() -> None:
    assert plan_batches([], 2, 1) == []
    assert plan_batches([10] * 5, 2, 1000) == [[0, 1, 2, 3, 4]]  # too little work for two batches
    assert [len(b) for b in plan_batches([10] * 80, 2, 100)] == [10] * 8  # at most 4 per worker
    assert [len(b) for b in plan_batches([10] * 80, 2, 300)] == [40, 40]


def test_a_few_hundred_files_use_both_workers(corpus: list[Path]) -> None:
    """Issue 22: 300 corpus files made one batch at the default size, linted in the driver alone, so
    `--jobs 2` could not help; they now make several, a multiple of the workers."""
    texts = [p.read_text(encoding="utf-8", errors="surrogateescape") for p in corpus[:300]]
    batches = plan_batches([lint_jobs.weight(t) for t in texts], 2, lint_jobs.MIN_BATCH_WEIGHT)
    assert len(batches) >= 2 and len(batches) % 2 == 0
    assert sorted(i for b in batches for i in b) == list(range(len(texts)))
