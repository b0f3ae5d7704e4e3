"""The run memory in Postgres (CODI_DB_URL): the same answers as the SQLite index, shared by replicas."""

from __future__ import annotations

import json
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_memory import doc, write_run_dir
from typer.testing import CliRunner

import codi.cli.llm_cmds  # noqa: F401  (registers the commands)
import codi.cli.ops_backup_cmds  # noqa: F401  (registers `runs prune`)
from codi.cli.app import app
from codi.ops import doctor_state
from codi.ops.doctor_model import Context
from codi.rag.index import connect_memory, open_existing, open_memory
from codi.rag.index_protocol import MemoryIndex, RunMemoryError
from codi.rag.memory import RunDoc, rebuild, remember_run, rule_evidence, search
from codi.rag.store import index_path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "llm"))

from llmkit import DOCKERFILE, FINDINGS, candidate, metrics, numbers, run_record  # type: ignore[import-not-found]  # noqa: E402

from codi.service.assist import AssistOptions, assist, remember  # noqa: E402

runner = CliRunner()
UNREACHABLE = "postgresql://codi:secret@127.0.0.1:1/codi"

PAST = [
    doc("node-1", "node", "node:20", ["DL3016", "CD201"], "node-multistage", -70),
    doc("py-1", "python", "python:3.12", ["DL3042", "CD201"], "python-pip-multistage", -80),
    doc("py-2", "python", "python:3.11", ["DL3013"], "python-slim", -10, applied=True),
    doc("py-3", "python", "python:3.12-slim", ["DL3042", "DL3008"], "python-slim", -30),
    doc("go-1", "go", "golang:1.22", ["CD105"], "go-static", -90),
]
QUERIES = [
    doc("me", "python", "python:3.12-slim", ["DL3042", "CD201"], "python-pip-multistage"),
    doc("me", "node", "node:20-alpine", ["DL3016"], "node-multistage"),
    doc("me", "go", "golang:1.23", ["CD105", "DL3008"], "go-static"),
    doc("me", "java", "eclipse-temurin:21", ["DL3008"], "java-jlink"),
]


def _filled(out: Path, docs: list[RunDoc], env: dict[str, str]) -> MemoryIndex:
    index = open_memory(out, env=env)
    for d in docs:
        index.put(d)
    return index


@pytest.fixture
def both(tmp_path: Path, pg_url: str) -> Iterator[tuple[MemoryIndex, MemoryIndex]]:
    """(SQLite, Postgres) memories holding the same past runs."""
    lite, pg = _filled(tmp_path, PAST, {}), _filled(tmp_path, PAST, {"CODI_DB_URL": pg_url})
    try:
        yield lite, pg
    finally:
        lite.close()
        pg.close()


def test_search_ranks_like_sqlite(both: tuple[MemoryIndex, MemoryIndex]) -> None:
    lite, pg = both
    assert "postgresql://" in pg.location and lite.location.endswith("index.sqlite3")
    for me in QUERIES:
        want, got = search(lite, me, k=5), search(pg, me, k=5)
        assert [m["run_id"] for m in got] == [m["run_id"] for m in want], me.stack
        assert [(m["stack"], m["summary"]) for m in got] == [(m["stack"], m["summary"]) for m in want]
        # The same outcomes behind the same matches give the same bonuses.
        assert rule_evidence(pg, want) == rule_evidence(lite, want)
    top = search(pg, QUERIES[0])
    assert [m["run_id"] for m in top][:2] == ["py-1", "py-3"] and all(m["run_id"] != "me" for m in top)
    assert rule_evidence(pg, top)["python-pip-multistage"] > 0


# Every kind of query term (stack, image family, finding code, rule id) matches the same runs in both.
SAME = [("DL3008", {"py-3"}), ("dl3008", {"py-3"}), ("CD201", {"node-1", "py-1"}), ("CD20", set()),
        ("python", {"py-1", "py-2", "py-3"}), ("golang", {"go-1"}), ("python-pip-multistage", {"py-1"}),
        ("python:3.12-slim", {"py-3"})]


@pytest.mark.parametrize("term, hits", SAME)
def test_terms_match_the_same_runs(both: tuple[MemoryIndex, MemoryIndex], term: str, hits: set[str]) -> None:
    """'simple' tsvectors split python:3.12-slim into words; each term is split the same way, as a phrase."""
    lite, pg = both
    assert {r["run_id"] for r in pg.search_rows([term], "", 50)} == hits
    assert {r["run_id"] for r in lite.search_rows([term], "", 50)} == hits


def test_parts_of_tokens_match_in_postgres_only(both: tuple[MemoryIndex, MemoryIndex]) -> None:
    """FTS5 keeps python:3.12-slim and python-pip-multistage one token each; Postgres also finds the words
    inside them (python:3.12, pip). Extra, weaker text matches only: the structured score still decides."""
    lite, pg = both
    for term, both_hits, pg_only in (("python:3.12", {"py-1"}, {"py-3"}), ("pip", set(), {"py-1"})):
        assert {r["run_id"] for r in lite.search_rows([term], "", 50)} == both_hits
        assert {r["run_id"] for r in pg.search_rows([term], "", 50)} == both_hits | pg_only


def test_replicas_share_one_memory(tmp_path: Path, pg_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CODI_DB_URL", pg_url)
    a, b = tmp_path / "replica-a", tmp_path / "replica-b"
    write_run_dir(a, "r-a", "python", "python:3.12", ["DL3042"], "python-pip-multistage", -80)
    write_run_dir(b, "r-b", "python", "python:3.11", ["DL3042"], "python-slim", -20)
    assert remember_run(a, a / "r-a") == "r-a" and remember_run(b, b / "r-b") == "r-b"
    assert not index_path(a).exists() and not index_path(b).exists()  # nothing local
    me = doc("me", "python", "python:3.12-slim", ["DL3042"], "python-pip-multistage")
    for out in (a, b):
        index = open_existing(out)
        assert index is not None
        with index:
            assert [m["run_id"] for m in search(index, me)] == ["r-a", "r-b"]


def test_concurrent_replicas_migrate_once_and_write(tmp_path: Path, pg_url: str) -> None:
    """Replicas starting together on an empty database, each writing its runs and one run they all share."""
    env = {"CODI_DB_URL": pg_url}
    errors: list[BaseException] = []
    applied: list[list[int]] = []

    def replica(n: int) -> None:
        try:
            with connect_memory(tmp_path / f"r{n}", env) as index:
                applied.append(index.ensure_schema())
                for i in range(10):
                    index.put(doc(f"w{n}-{i}", "python", "python:3.12", ["DL3042"]))
                    index.put(doc("shared", "python", "python:3.12", ["DL3042"], rule=f"rule-{n}"))
        except (RunMemoryError, OSError) as exc:
            errors.append(exc)

    threads = [threading.Thread(target=replica, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and sorted(applied) == [[], [], [], [1]]
    with open_memory(tmp_path, env=env) as index:
        assert index.count_runs() == 41 and len(index.outcomes("shared")) == 1


def test_read_only_callers_create_nothing(tmp_path: Path, backend: str) -> None:
    assert open_existing(tmp_path) is None
    assert not index_path(tmp_path).exists()
    open_memory(tmp_path).close()
    index = open_existing(tmp_path)
    assert index is not None and index.run_ids() == set()
    index.close()


def test_rebuild_merge_and_cli(tmp_path: Path, backend: str) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    write_run_dir(a, "r1", "node", "node:20", ["DL3016"], "node-multistage", -60)
    write_run_dir(a, "r2", "python", "python:3.12", ["DL3042"], "python-pip-multistage", -80)
    write_run_dir(b, "r3", "go", "golang:1.22", ["CD105"], "go-static", -90)
    assert rebuild(b) == (1, [])
    assert rebuild(a) == (2, [])  # emptied first
    with open_memory(a) as index:
        assert index.run_ids() == {"r1", "r2"}
    result = runner.invoke(app, ["index", "rebuild", "--merge", str(b), "--out", str(a)])
    assert result.exit_code == 0 and "1 run(s) indexed" in result.stdout
    where = "postgresql://" if backend == "postgres" else str(index_path(a))
    assert result.stdout.startswith(where)
    with open_memory(a) as index:
        assert index.run_ids() == {"r1", "r2", "r3"} and index.count_runs() == 3


def test_mark_applied_on_both(tmp_path: Path, backend: str) -> None:
    out = tmp_path / "runs"
    write_run_dir(out, "r1", "python", "python:3.12", ["DL3042"], "python-slim", -10)
    write_run_dir(out, "r2", "python", "python:3.12", ["DL3042"], "python-pip-multistage", -10)
    assert rebuild(out) == (2, [])
    me = doc("me", "python", "python:3.12", ["DL3042"], "python-slim")
    with open_memory(out) as index:
        before = rule_evidence(index, search(index, me))
    ok = runner.invoke(app, ["index", "mark-applied", "r2", "002-python-pip-multistage", "--out", str(out)])
    assert ok.exit_code == 0, ok.output
    assert ("postgresql://" if backend == "postgres" else "index.sqlite3") in ok.stdout
    feedback = json.loads((out / "r2" / "metadata" / "feedback.json").read_text())
    assert feedback["applied"][0]["how"] == "manual"
    with open_memory(out) as index:
        assert [o["applied"] for o in index.outcomes("r2")] == [True]
        after = rule_evidence(index, search(index, me))
    assert after["python-pip-multistage"] > before.get("python-pip-multistage", 0.0) + 2.0
    # The run dir is gone (pruned, or another replica's): the memory alone records the mark.
    (out / "r1" / "metadata" / "run.json").unlink()
    ok = runner.invoke(app, ["index", "mark-applied", "r1", "002-python-slim", "--out", str(out)])
    assert ok.exit_code == 0, ok.output
    with open_memory(out) as index:
        assert [o["applied"] for o in index.outcomes("r1")] == [True]


def test_ensure_schema_is_idempotent_and_redacts(tmp_path: Path, pg_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CODI_DB_URL", pg_url.replace("postgres@", "postgres:hunter2@"))  # trust auth ignores it
    first = runner.invoke(app, ["index", "ensure-schema", "--out", str(tmp_path)])
    assert first.exit_code == 0, first.output
    assert "applied v1" in first.stdout and "postgres:***@127.0.0.1" in first.stdout
    again = runner.invoke(app, ["index", "ensure-schema", "--out", str(tmp_path)])
    assert again.exit_code == 0 and "already current" in again.stdout and "hunter2" not in again.output
    assert not index_path(tmp_path).exists()
    # The fleet scan's tables and bookkeeping are untouched by the run memory's migrations.
    import psycopg

    with psycopg.connect(pg_url) as conn:
        tables = {r[0] for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}
    assert tables == {"rag_migrations", "rag_runs", "rag_outcomes", "rag_text"}


def test_doctor_reads_the_shared_memory(tmp_path: Path, pg_url: str) -> None:
    env = {"CODI_DB_URL": pg_url}
    fresh = doctor_state.run_memory(Context.create(tmp_path, env=env))
    assert fresh.status == "ok" and "no run memory yet" in fresh.reason
    with open_memory(tmp_path, env=env) as index:
        index.put(PAST[0])
    good = doctor_state.run_memory(Context.create(tmp_path, env=env))
    assert good.status == "ok" and "schema v1, 1 run(s)" in good.reason
    down = doctor_state.run_memory(Context.create(tmp_path, env={"CODI_DB_URL": UNREACHABLE}))
    assert down.status == "fail" and "cannot connect" in down.reason and "secret" not in down.reason
    assert "CODI_DB_URL" in down.fix


def test_prune_deletes_the_shared_rows(tmp_path: Path, pg_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CODI_DB_URL", pg_url)
    out = tmp_path / "runs"
    for n in (1, 2, 3):
        write_run_dir(out, f"2026010{n}T000000Z-python-p", "python", "python:3.12", ["DL3042"], "python-slim", -10)
    assert rebuild(out)[0] == 3
    result = runner.invoke(app, ["runs", "prune", "--out", str(out), "--keep", "1"])
    assert result.exit_code == 0, result.output
    assert "removed 2 run(s), kept 1" in result.stdout and "postgresql://" in result.stdout
    with open_memory(out) as index:
        assert index.run_ids() == {"20260103T000000Z-python-p"}
    monkeypatch.setenv("CODI_DB_URL", UNREACHABLE)
    down = runner.invoke(app, ["runs", "prune", "--out", str(out), "--keep", "0"])
    assert down.exit_code == 2 and "nothing pruned" in down.stderr and len(down.stderr.strip().splitlines()) == 1
    assert (out / "20260103T000000Z-python-p").is_dir()


@pytest.mark.parametrize("url, why", [
    ("mysql://codi:secret@db/codi", "only postgresql:// URLs"),
    (UNREACHABLE, "cannot connect"),
])
def test_a_bad_database_degrades_runs_and_fails_commands(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                         url: str, why: str) -> None:
    monkeypatch.setenv("CODI_DB_URL", url)
    for args in (["index", "ensure-schema"], ["index", "rebuild"], ["index", "mark-applied", "r", "c"]):
        result = runner.invoke(app, [*args, "--out", str(tmp_path)])
        assert result.exit_code == 2, result.output
        assert result.stderr.startswith("codi: error: ") and why in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1 and "secret" not in result.stderr
        assert "Traceback" not in result.output
    # A run goes on without its memory, and says so.
    cands = [candidate("001-fixed", "fixed"), candidate("002-python-slim", "python-slim")]
    assisted = assist(run_record(cands), metrics([numbers("001-fixed", -50.0), numbers("002-python-slim", -48.0)]),
                      FINDINGS, DOCKERFILE, AssistOptions(out=tmp_path, llm=False))
    assert assisted.rag["enabled"] and assisted.rag["matches"] == [] and why in assisted.rag["error"]
    assert assisted.ranking[0]["candidate_id"] == "001-fixed"
    write_run_dir(tmp_path, "r1", "python", "python:3.12", ["DL3042"], "python-slim", -10)
    warning = remember(tmp_path, tmp_path / "r1")
    assert warning is not None and warning.startswith("run memory not updated") and why in warning
    assert not index_path(tmp_path).exists()  # never a silent fall-back to a local memory


def test_missing_psycopg_is_a_clear_error(tmp_path: Path, pg_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CODI_DB_URL", pg_url)
    monkeypatch.setitem(sys.modules, "psycopg", None)  # import psycopg -> ImportError
    with pytest.raises(RunMemoryError, match=r"psycopg is not installed \(pip install 'codi\[postgres\]'\)"):
        open_memory(tmp_path)
    result = runner.invoke(app, ["index", "ensure-schema", "--out", str(tmp_path)])
    assert result.exit_code == 2 and "psycopg is not installed" in result.stderr


def test_backup_says_where_the_memory_is(tmp_path: Path, pg_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CODI_DB_URL", pg_url)
    out = tmp_path / "runs"
    write_run_dir(out, "20260101T000000Z-python-p", "python", "python:3.12", ["DL3042"], "python-slim", -10)
    result = runner.invoke(app, ["backup", "create", "--out", str(out), "--json"])
    assert result.exit_code == 0, result.output
    assert "pg_dump" in result.stderr and any("pg_dump" in n for n in json.loads(result.stdout)["notes"])
