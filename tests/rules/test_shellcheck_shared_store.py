"""The shared ShellCheck cache in a store (CODI_CACHE_URL = a folder, file://, s3:// on moto): a second
runner with an empty local cache is warm, the keys are the local cache's, and a broken store, a
missing obstore or an unsupported URL never fails a lint."""

from __future__ import annotations

import logging
import secrets
import socket
import sqlite3
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from rulekit import count_shellcheck_runs, make_context

from codi.rules.base import Finding
from codi.rules.shellcheck import cache as sc_cache
from codi.rules.shellcheck import shared
from codi.rules.shellcheck.rule import ShellCheck
from codi.rules.shellcheck.runner import find_shellcheck
from codi.rules.shellcheck.shared_pg import PgCache
from codi.rules.shellcheck.shared_store import StoreCache, object_key

needs_shellcheck = pytest.mark.skipif(find_shellcheck() is None, reason="shellcheck binary not installed")

FILES = [
    "FROM debian:12\nRUN cd /tmp && echo `date` $HOME\nRUN for f in $(ls /etc); do echo $f; done\n",
    'FROM alpine\nRUN [[ -f /x ]] && echo "$foo"\nRUN echo $undefined | grep -q y\n',
]


@pytest.fixture(autouse=True)
def fresh_levels(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No shared level or memory entry left over from another test; CODI_CACHE_URL set per test."""
    monkeypatch.setattr(shared, "_SHARED", {})
    monkeypatch.delenv("CODI_CACHE_URL", raising=False)
    monkeypatch.delenv("CODI_NO_CACHE", raising=False)
    monkeypatch.setenv("CODI_CACHE_DIR", str(tmp_path / "local"))
    sc_cache.MEMORY.clear()
    yield
    sc_cache.MEMORY.clear()


@pytest.fixture
def sc_runs(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """The ShellCheck processes started to check scripts (not `--version`)."""
    return count_shellcheck_runs(monkeypatch)


def lint() -> list[Finding]:
    ctxs = [make_context(text) for text in FILES]
    for i, ctx in enumerate(ctxs):
        ctx.path = f"p{i}/Dockerfile"
    return ShellCheck().check_batch(ctxs)


def runner(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[Finding]:
    """A lint on a fresh machine: its own empty local cache, an empty memory level."""
    monkeypatch.setenv("CODI_CACHE_DIR", str(tmp_path / name))
    sc_cache.MEMORY.clear()
    return lint()


def local_keys(tmp_path: Path, name: str) -> set[str]:
    with sqlite3.connect(tmp_path / name / sc_cache.DB_NAME) as conn:
        return {key for (key,) in conn.execute("SELECT key FROM results")}


def _two_runners(url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sc_runs: list[list[str]]) -> set[str]:
    """Runner a lints cold and fills the shared level; runner b's first lint is warm. Runner a's keys."""
    monkeypatch.setenv("CODI_CACHE_URL", url)
    first = runner("runner-a", tmp_path, monkeypatch)
    assert sc_runs and any(f.code.startswith("SC") for f in first)
    sc_runs.clear()
    second = runner("runner-b", tmp_path, monkeypatch)
    assert sc_runs == [] and second == first  # warm: no ShellCheck process on runner b
    keys = local_keys(tmp_path, "runner-a")
    assert local_keys(tmp_path, "runner-b") == keys  # the shared hits were copied to b's local cache
    return keys


@needs_shellcheck
@pytest.mark.parametrize("form", ["path", "file-url"])
def test_a_shared_folder_makes_a_new_runners_first_lint_warm(form: str, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch,
                                                             sc_runs: list[list[str]]) -> None:
    folder = tmp_path / "shared"
    keys = _two_runners(str(folder) if form == "path" else folder.as_uri(), tmp_path, monkeypatch, sc_runs)
    stored = {p.relative_to(folder).as_posix() for p in folder.rglob("*.json")}
    assert stored == {object_key(k) for k in keys} and len(keys) >= 4  # one object per local key
    assert all(p.startswith("shellcheck/") for p in stored)


@needs_shellcheck
def test_a_shared_s3_bucket_makes_a_new_runners_first_lint_warm(s3_endpoint: str, tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch,
                                                                sc_runs: list[list[str]]) -> None:
    import boto3

    bucket = f"sc-{secrets.token_hex(4)}"
    client = boto3.client("s3", endpoint_url=s3_endpoint)
    client.create_bucket(Bucket=bucket)
    keys = _two_runners(f"s3://{bucket}/ci/cache?endpoint={s3_endpoint}", tmp_path, monkeypatch, sc_runs)
    listed = client.list_objects_v2(Bucket=bucket)["Contents"]
    assert {o["Key"] for o in listed} == {f"ci/cache/{object_key(k)}" for k in keys}
    # Write-once: a second writer of a key leaves the first object as it is.
    level = shared.shared_cache()
    assert isinstance(level, StoreCache)
    key = sorted(keys)[0]
    before = level.get_many([key])[key]
    level.put_many({key: [{"code": 1}]})
    assert level.get_many([key]) == {key: before}


def test_entries_round_trip_write_once_and_damaged_objects_are_misses(tmp_path: Path) -> None:
    level = StoreCache(str(tmp_path / "s"))
    comments = [{"code": 2086, "line": 1, "message": "Double quote"}]
    level.put_many({"ab12": comments, "cd34": []})
    level.put_many({"ab12": [{"code": 1}]})  # the first writer's object stands
    assert level.get_many(["ab12", "cd34", "ef56"]) == {"ab12": comments, "cd34": []}  # ef56: a miss
    (tmp_path / "s" / object_key("cd34")).write_text("not json")
    (tmp_path / "s" / object_key("ab12")).write_text('{"a": 1}')
    assert level.get_many(["ab12", "cd34"]) == {}


@needs_shellcheck
def test_a_broken_folder_never_fails_a_lint(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                            sc_runs: list[list[str]], caplog: pytest.LogCaptureFixture) -> None:
    with sc_cache.disabled():
        fresh = lint()
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    monkeypatch.setenv("CODI_CACHE_URL", str(blocker / "shared"))  # cannot be read or created
    with caplog.at_level(logging.DEBUG, logger="codi.rules.shellcheck"):
        assert runner("runner-a", tmp_path, monkeypatch) == fresh
    level = shared.shared_cache()
    assert isinstance(level, StoreCache) and level._down()  # backs off: not asked again for a while
    assert any("shared shellcheck cache read failed" in r.message for r in caplog.records)
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]  # a passing outage is no warning


@needs_shellcheck
def test_an_unreachable_s3_store_is_a_quick_miss(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                 sc_runs: list[list[str]]) -> None:
    pytest.importorskip("obstore", reason="the codi[s3] extra (obstore) is not installed")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed once the block ends: connections are refused
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")  # no credential lookup on the network
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    with sc_cache.disabled():
        fresh = lint()
    monkeypatch.setenv("CODI_CACHE_URL", f"s3://nowhere/p?endpoint=http://127.0.0.1:{port}")
    started = time.monotonic()
    assert runner("runner-a", tmp_path, monkeypatch) == fresh
    assert time.monotonic() - started < 20  # one quick retry, not obstore's default minutes
    level = shared.shared_cache()
    assert isinstance(level, StoreCache) and level._down()


def test_a_missing_obstore_warns_once(monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setitem(sys.modules, "obstore", None)  # import obstore -> ImportError
    level = shared.shared_cache({"CODI_CACHE_URL": "s3://bucket/prefix"})
    assert isinstance(level, StoreCache)
    with caplog.at_level(logging.WARNING, logger="codi.rules.shellcheck"):
        assert level.get_many(["ab12"]) == {}
        level.put_many({"ab12": []})
        assert level.get_many(["ab12"]) == {}
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "CODI_CACHE_URL" in warnings[0] and "codi[s3]" in warnings[0]


def test_the_level_is_picked_by_scheme_one_per_url() -> None:
    def pick(url: str) -> object:
        return shared.shared_cache({"CODI_CACHE_URL": url})

    assert pick("") is None
    assert isinstance(pick("postgresql://u@h/db"), PgCache) and isinstance(pick("postgres://u@h/db"), PgCache)
    for url in ("s3://bucket/prefix", "file:///srv/codi-cache", "/srv/codi-cache"):
        assert isinstance(pick(url), StoreCache)
    assert pick("/srv/codi-cache") is pick(" /srv/codi-cache ")  # one per URL and process


def test_an_unsupported_url_warns_once_without_its_password(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="codi.rules.shellcheck"):
        for _ in range(2):
            assert shared.shared_cache({"CODI_CACHE_URL": "redis://user:hunter2@cache:6379/0"}) is None
        assert shared.shared_cache({"CODI_CACHE_URL": "relative/folder"}) is None
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 2 and "'redis'" in warnings[0] and "relative path" in warnings[1]
    assert all("hunter2" not in w and "CODI_CACHE_URL" in w for w in warnings)
