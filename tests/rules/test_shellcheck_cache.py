"""ShellCheck result cache: cached findings equal fresh ones, both levels, corruption, bounds, opt-out."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from rulekit import count_shellcheck_runs, make_context
from typer.testing import CliRunner

from codi.rules.base import Finding, RuleContext
from codi.rules.shellcheck import cache as sc_cache
from codi.rules.shellcheck import runner as sc_runner
from codi.rules.shellcheck.rule import ShellCheck
from codi.rules.shellcheck.runner import find_shellcheck

pytestmark = pytest.mark.skipif(find_shellcheck() is None, reason="shellcheck binary not installed")

FILES = [
    "FROM debian:12\nARG dir\nRUN mkdir -p \\\n    $dir && cd /tmp && echo `date`\nRUN echo $undefined\n",
    'FROM alpine\nRUN [[ -f /x ]] && echo "$foo"\nRUN <<EOF\nset -e\ncd /app\necho "$bar"\nEOF\n',
    'FROM centos:7\nRUN for f in $(ls /etc); do echo $f; done\nRUN echo "ok"\n',
    "FROM alpine AS a\nSHELL [\"/bin/bash\", \"-c\"]\nRUN read x && echo $x | grep -q y\nFROM a\nRUN echo $PATH\n",
]


@pytest.fixture(autouse=True)
def isolated_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Each test gets its own empty cache dir and an empty in-memory level."""
    folder = tmp_path / "cache"
    monkeypatch.setenv("CODI_CACHE_DIR", str(folder))
    monkeypatch.delenv("CODI_NO_CACHE", raising=False)
    sc_cache.MEMORY.clear()
    yield folder
    sc_cache.MEMORY.clear()


@pytest.fixture
def sc_runs(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """The ShellCheck processes started to check scripts (not `--version`)."""
    return count_shellcheck_runs(monkeypatch)


def contexts() -> list[RuleContext]:
    ctxs = [make_context(text) for text in FILES]
    for i, ctx in enumerate(ctxs):
        ctx.path = f"p{i}/Dockerfile"
    return ctxs


def lint() -> list[Finding]:
    return ShellCheck().check_batch(contexts())


def test_findings_from_memory_and_disk_equal_fresh_ones(sc_runs: list[list[str]], isolated_cache: Path) -> None:
    with sc_cache.disabled():
        fresh = lint()
    assert sc_runs and not isolated_cache.exists()  # --no-cache neither reads nor writes
    assert {f.code for f in fresh} >= {"SC2086", "SC2006", "SC2154", "SC3010"}
    assert any(f.fix is not None for f in fresh)

    sc_runs.clear()
    cold = lint()
    assert sc_runs and (isolated_cache / sc_cache.DB_NAME).is_file()
    sc_runs.clear()
    from_memory = lint()
    sc_cache.MEMORY.clear()
    from_disk = lint()
    assert sc_runs == []  # both warm runs were served from the cache
    assert cold == fresh and from_memory == fresh and from_disk == fresh  # fixes included


def test_identical_scripts_in_other_files_reuse_one_result(sc_runs: list[list[str]]) -> None:
    lint()
    sc_runs.clear()
    ctx = make_context(FILES[0])
    ctx.path = "elsewhere/Dockerfile"
    again = ShellCheck().check_batch([ctx])
    assert sc_runs == []
    assert [(f.code, f.line, f.column) for f in again] == [
        (f.code, f.line, f.column) for f in lint() if f.file == "p0/Dockerfile"
    ]


def test_an_edited_script_is_checked_again(sc_runs: list[list[str]]) -> None:
    lint()
    sc_runs.clear()
    ctx = make_context(FILES[0].replace("$undefined", '"$undefined"'))
    found = ShellCheck().check_batch([ctx])
    assert len(sc_runs) == 1 and sum(arg.endswith(".sh") for arg in sc_runs[0]) == 1  # only the new script
    assert "SC2006" in {f.code for f in found}


def test_key_covers_version_dialect_options_and_text() -> None:
    base = sc_cache.ResultCache("0.11.0", ["-S", "style"], None, sc_cache.MemoryLRU())
    key = base.key("sh", "echo $x\n")
    assert key == base.key("sh", "echo $x\n")
    assert key != base.key("bash", "echo $x\n")
    assert key != base.key("sh", "echo $y\n")
    assert key != sc_cache.ResultCache("0.10.0", ["-S", "style"], None, sc_cache.MemoryLRU()).key("sh", "echo $x\n")
    other_options = sc_cache.ResultCache("0.11.0", ["-S", "style", "-e", "SC2086"], None, sc_cache.MemoryLRU())
    assert key != other_options.key("sh", "echo $x\n")


def test_corrupt_entries_are_misses_and_get_replaced(sc_runs: list[list[str]], isolated_cache: Path) -> None:
    fresh = lint()
    db = isolated_cache / sc_cache.DB_NAME
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE results SET comments = '{not json'")
    sc_cache.MEMORY.clear()
    sc_runs.clear()
    assert lint() == fresh
    assert sc_runs  # the damaged entries were checked again ...
    sc_cache.MEMORY.clear()
    sc_runs.clear()
    assert lint() == fresh
    assert sc_runs == []  # ... and stored again


def test_a_corrupt_cache_file_is_replaced(sc_runs: list[list[str]], isolated_cache: Path) -> None:
    isolated_cache.mkdir()
    (isolated_cache / sc_cache.DB_NAME).write_bytes(b"this is not an SQLite database" * 100)
    fresh = lint()
    assert fresh
    sc_cache.MEMORY.clear()
    sc_runs.clear()
    assert lint() == fresh and sc_runs == []


def test_an_unusable_cache_dir_only_costs_speed(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    monkeypatch.setenv("CODI_CACHE_DIR", str(blocker / "cache"))  # cannot be created
    with sc_cache.disabled():
        fresh = lint()
    assert lint() == fresh


def test_disk_cache_is_size_bounded_least_recently_used_first(tmp_path: Path) -> None:
    disk = sc_cache.DiskCache(tmp_path / "c.sqlite3", max_entries=10, max_bytes=10_000)
    for i in range(25):
        disk.put_many({f"k{i:02}": [{"code": i}]})
    count, _ = disk.stats()
    assert 1 <= count <= 10
    assert disk.get_many(["k24"]) == {"k24": [{"code": 24}]}  # the newest survive
    assert disk.get_many(["k00"]) == {}
    big = [{"message": "x" * 1000}]
    for i in range(30):
        disk.put_many({f"big{i}": big})
    _, size = disk.stats()
    assert size <= 10_000
    disk.close()


def test_memory_level_is_bounded() -> None:
    lru = sc_cache.MemoryLRU(capacity=3)
    for i in range(5):
        lru.put(str(i), [])
    lru.get("2")
    lru.put("5", [])
    assert len(lru) == 3 and lru.get("3") is None and lru.get("2") == []


def test_failed_runs_are_not_cached(monkeypatch: pytest.MonkeyPatch, sc_runs: list[list[str]]) -> None:
    with monkeypatch.context() as patched:
        patched.setattr(sc_runner, "run_shellcheck", lambda *a, **k: sc_runner.GaveUp("broken"))
        failed = lint()
    assert failed and {f.code for f in failed} == {"CD0004"}  # each script says it was not checked
    assert all("broken" in f.message for f in failed)
    again = lint()
    assert again and "CD0004" not in {f.code for f in again}  # "failed" was not stored as "no findings"


def test_codi_no_cache_env_turns_both_levels_off(
    monkeypatch: pytest.MonkeyPatch, sc_runs: list[list[str]], isolated_cache: Path
) -> None:
    monkeypatch.setenv("CODI_NO_CACHE", "1")
    lint()
    lint()
    assert len(sc_runs) >= 2 and not isolated_cache.exists() and len(sc_cache.MEMORY) == 0
    monkeypatch.setenv("CODI_NO_CACHE", "0")
    assert sc_cache.cache_enabled()


def test_cache_dir_precedence(tmp_path: Path) -> None:
    assert sc_cache.cache_dir({"CODI_CACHE_DIR": "/a", "XDG_CACHE_HOME": "/b"}) == Path("/a")
    assert sc_cache.cache_dir({"XDG_CACHE_HOME": "/b"}) == Path("/b/codi")
    assert sc_cache.cache_dir({}) == Path.home() / ".cache" / "codi"


def test_lint_cli_no_cache_flag(tmp_path: Path, isolated_cache: Path) -> None:
    import codi.cli.lint_cmd  # noqa: F401  (attaches `lint` to the app)
    from codi.cli.app import app

    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text(FILES[0])
    runner = CliRunner()
    first = runner.invoke(app, ["lint", "--no-cache", "--format", "json", str(dockerfile)])
    assert first.exit_code == 1 and '"SC2086"' in first.stdout
    assert not isolated_cache.exists()
    assert sc_cache.cache_enabled()  # the flag lasted for that command only
    second = runner.invoke(app, ["lint", "--format", "json", str(dockerfile)])
    assert second.stdout == first.stdout and (isolated_cache / sc_cache.DB_NAME).is_file()
    help_text = runner.invoke(app, ["lint", "--help"]).stdout
    assert "--no-cache" in help_text and "CODI_NO_CACHE" in help_text


def test_concurrent_lints_in_threads_agree(isolated_cache: Path) -> None:
    """`codi serve` lints in worker threads that share the in-memory level and the file."""
    from concurrent.futures import ThreadPoolExecutor

    with sc_cache.disabled():
        fresh = lint()
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda _: lint(), range(6)))
    assert all(r == fresh for r in results)
    disk = sc_cache.DiskCache(isolated_cache / sc_cache.DB_NAME)
    assert disk.stats()[0] == len({s for ctx in contexts() for s in _script_texts(ctx)})
    disk.close()


def _script_texts(ctx: RuleContext) -> list[str]:
    from codi.rules.shellcheck.scripts import build_script

    return [s.text() for i in ctx.dockerfile.instructions if (s := build_script(ctx, i)) is not None]
