"""Issue 24 item 6: the smoke run asks the original and each candidate the same requests; a candidate that
answers differently fails its smoke, with the difference. Local http.server processes stand in for containers."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path

import pytest
from fake_engine import FakeEngine, free_port, go_project

from codi.imagebuild.engine import BuildOutcome, ImageInfo
from codi.imagebuild.probes import compare, probe_paths
from codi.imagebuild.smoke import smoke_run
from codi.optimise.catalog import load_catalog
from codi.service.analyze import analyze
from codi.service.candidates import build_candidates
from codi.service.measure import MeasureOptions, measure


def _site(root: Path, index: str, health: str) -> Path:
    root.mkdir(parents=True)
    (root / "index.html").write_text(index)
    (root / "healthz").write_text(health)
    return root


class ServingEngine(FakeEngine):
    """Each built image serves a folder over HTTP: ``sites`` maps a word of the Dockerfile to the folder."""

    def __init__(self, sites: dict[str, Path], default: Path) -> None:
        super().__init__()
        self.sites, self.default = sites, default

    def build(self, context: Path, dockerfile: Path, tag: str, timeout: float, network: bool,
              no_cache: bool = False, build_args: Mapping[str, str] | None = None) -> BuildOutcome:
        out = super().build(context, dockerfile, tag, timeout, network, no_cache, build_args)
        text = dockerfile.read_text()
        folder = next((site for word, site in self.sites.items() if word in text), self.default)
        port = free_port()
        self.images[tag] = ImageInfo(image_id="sha256:x", size_bytes=1000, layers=1, user="", entrypoint=[],
                                     cmd=[sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1",
                                          "--directory", str(folder)], ports=[port])
        return out


def test_probe_paths_take_the_health_check_url_and_the_users_paths() -> None:
    check = '["CMD-SHELL", "curl -fsS http://localhost:8000/api/ping || exit 1"]'
    assert probe_paths(check, ["/todos", "items"]) == ["/", "/api/ping", "/todos", "/items"]
    assert probe_paths(None) == ["/", "/healthz", "/health"]


def test_compare_reads_json_as_values_and_names_each_difference() -> None:
    want = {"/": {"status": 200, "content_type": "application/json", "body": '{"a": 1, "b": 2}'}}
    same = {"/": {"status": 200, "content_type": "application/json", "body": '{"b":2,"a":1}'}}
    assert compare(want, same) == []
    other = {"/": {"status": 404, "content_type": "text/plain", "body": "nope"}}
    assert compare(want, other) == ["GET /: status 200 in the original, 404 in the candidate",
                                    "GET /: content type application/json in the original, text/plain in the candidate",
                                    'GET /: body differs: original `{"a": 1, "b": 2}`, candidate `nope`']


def test_smoke_run_keeps_the_answers(tmp_path: Path) -> None:
    engine = ServingEngine({}, _site(tmp_path / "site", "hello", "ok"))
    engine.build(tmp_path, _dockerfile(tmp_path, "FROM x\n"), "img", 10, False)
    result = smoke_run(engine, "img", 0.3, ["/", "/healthz", "/missing"])
    answers = result["answers"]
    assert result["status"] == "passed"
    assert answers["/healthz"]["status"] == 200 and answers["/healthz"]["body"] == "ok"
    assert answers["/missing"]["status"] == 404
    assert all(p.poll() is not None for p in engine.procs)


def _dockerfile(folder: Path, text: str) -> Path:
    path = folder / "Dockerfile"
    path.write_text(text)
    return path


def test_a_candidate_that_answers_differently_fails_its_smoke(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project = go_project(tmp_path, monkeypatch, "golang:*=local/go-standin:1")
    analysis = analyze(project, None, None, None)
    cands = build_candidates(analysis, load_catalog(None), 3)
    wrong = cands.built[0].record.id
    marker = next(line for line in cands.built[0].text.splitlines() if line.strip() and not line.startswith("FROM")
                  and line not in analysis.text and all(line not in c.text for c in cands.built[1:]))
    same = _site(tmp_path / "same", "hello", "ok")
    engine = ServingEngine({marker: _site(tmp_path / "other", "hello", "not ok")}, same)
    result = measure(None, analysis, cands.built, MeasureOptions(min_free_bytes=0, smoke_seconds=0.3,
                                                                 probes=["/healthz"]), engine=engine)
    assert result.original is not None and set(result.original.smoke["answers"]) == {"/", "/healthz", "/health"}
    failed = result.candidates[wrong].smoke
    assert failed["status"] == "failed" and failed["answer_differences"] == [
        "GET /healthz: body differs: original `ok`, candidate `not ok`"]
    assert wrong in result.failed and "answers differ from the original's" in result.failed[wrong]
    others = [c.record.id for c in cands.built if marker not in c.text]
    assert others and all(result.candidates[c].smoke["same_answers"] for c in others)


def test_probe_option_reaches_the_measured_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    import codi.cli.project_cmds  # noqa: F401  (registers the command)
    from codi.cli.app import app

    seen: list[object] = []

    def fake_measure(run_dir: object, analysis: object, cands: object, options: MeasureOptions,
                     engine: object = None) -> object:
        seen.append(list(options.probes))
        raise SystemExit(0)

    monkeypatch.setattr("codi.service.measure.measure", fake_measure)
    project = go_project(tmp_path, monkeypatch, "golang:*=local/go-standin:1")
    got = CliRunner().invoke(app, ["run", str(project), "--real", "--no-llm", "--disable-rag", "--probe", "/todos",
                             "--probe", "items", "--out", str(tmp_path / "runs")])
    assert seen == [["/todos", "items"]], got.output
