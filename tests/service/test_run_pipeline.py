"""`codi run` end to end on the bundled demos and on bad input."""

from __future__ import annotations

import json
import shutil
import threading
from pathlib import Path

import jsonschema
import pytest
from typer.testing import CliRunner

from codi.cli.main import app, main  # noqa: F401  (main registers the commands)
from codi.parser import parse
from codi.report.render import render_reports
from codi.service.errors import InputError
from codi.service.run import RunOptions, run_project

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "demo"
SCHEMAS = REPO / "schemas"


def _register() -> None:
    import importlib

    for name in ("lint_cmd", "rules_cmd", "project_cmds"):
        importlib.import_module(f"codi.cli.{name}")


_register()
runner = CliRunner(env={"LLM_ENABLED": "false"})


def _validate(run_dir: Path) -> None:
    for name in ("run", "analysis", "metrics", "environment"):
        data = json.loads((run_dir / "metadata" / f"{name}.json").read_text())
        schema = json.loads((SCHEMAS / f"{name}.schema.json").read_text())
        jsonschema.validate(data, schema)
        assert data["schema_version"] == 1


@pytest.mark.parametrize("demo", ["python", "node", "go", "java"])
def test_demo_run_writes_a_complete_valid_run(tmp_path: Path, demo: str) -> None:
    result = run_project(DEMO / demo, RunOptions(llm=False, out=tmp_path / "runs"))
    run_dir = result.run_dir
    assert run_dir is not None and run_dir.parent == tmp_path / "runs"
    assert result.run_id.endswith(f"-{demo}-{demo}")
    for rel in ("inputs/Dockerfile", "logs/events.jsonl", "reports/report.md", "reports/report.html"):
        assert (run_dir / rel).is_file(), rel
    _validate(run_dir)
    record = json.loads((run_dir / "metadata" / "run.json").read_text())
    assert record["stack"] == demo
    assert len(record["candidates"]) >= 2
    kinds = [c["kind"] for c in record["candidates"]]
    if demo == "node":  # `npm run dev` is a development server: no production multi-stage (the review check)
        assert "multi-stage" not in kinds
        assert any("development server" in r["reason"] for r in record["rejected"] if r["rule_id"] == "node-multistage")
    else:
        assert "multi-stage" in kinds
    for cand in record["candidates"]:
        assert not Path(cand["path"]).is_absolute()
        text = (run_dir / cand["path"]).read_text()
        parse(text)  # every candidate parses
        assert cand["verified"] and cand["resolves"]
    metrics = json.loads((run_dir / "metadata" / "metrics.json").read_text())
    assert metrics["original"]["kind"] == "estimated"
    best = min(metrics["candidates"], key=lambda c: c["size_bytes"])
    if demo == "node":  # its edits keep node:20 (the app installs in the runtime stage): no smaller one
        assert best["size_bytes"] <= metrics["original"]["size_bytes"]
    else:
        assert best["size_bytes"] < metrics["original"]["size_bytes"]
    assert record["recommendation"]["candidate_id"] in {c["id"] for c in record["candidates"]}
    events = [json.loads(line) for line in (run_dir / "logs" / "events.jsonl").read_text().splitlines()]
    assert events[0]["event"] == "run.started" and events[-1]["event"] == "run.finished"
    assert not [p for p in (tmp_path / "runs").iterdir() if p.name.startswith(".")]  # no staging left


def test_multistage_candidate_keeps_what_the_app_needs(tmp_path: Path) -> None:
    result = run_project(DEMO / "python", RunOptions(llm=False, out=tmp_path))
    ms = next(c for c in result.record.candidates if c.kind == "multi-stage")
    text = (result.run_dir / ms.path).read_text()  # type: ignore[operator]
    df = parse(text)
    final = [i for i in df.instructions][-8:]
    keywords = [i.keyword for i in df.instructions]
    assert "USER" in keywords
    assert "HEALTHCHECK" not in keywords  # the original has none: candidates never invent one
    assert any(i.keyword == "EXPOSE" and i.args == ["8000"] for i in df.instructions)
    cmd = [i for i in final if i.keyword == "CMD"][-1]
    assert cmd.json_form and cmd.args == ["python", "-m", "todo_api"]
    assert "ENV PORT=8000" in text


def test_dry_run_writes_nothing(tmp_path: Path) -> None:
    result = run_project(DEMO / "go", RunOptions(llm=False, out=tmp_path / "runs", dry_run=True))
    assert result.run_dir is None and "metadata/run.json" in result.planned
    assert not (tmp_path / "runs").exists()


def test_concurrent_runs_never_collide(tmp_path: Path) -> None:
    ids: list[str] = []
    errors: list[BaseException] = []

    def one() -> None:
        try:
            ids.append(run_project(DEMO / "go", RunOptions(llm=False, out=tmp_path)).run_id)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=one) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len(set(ids)) == 4
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith("_")) == sorted(ids)


def test_moved_run_dir_can_be_reported(tmp_path: Path) -> None:
    result = run_project(DEMO / "node", RunOptions(llm=False, out=tmp_path / "a"))
    assert result.run_dir is not None
    moved = tmp_path / "elsewhere"
    shutil.move(str(result.run_dir), moved)
    (moved / "reports" / "report.html").unlink()
    md, html = render_reports(moved)
    assert html.is_file() and result.run_id in html.read_text()


def test_reports_say_whose_words_they_show(tmp_path: Path) -> None:
    # Regression: the summary said "written by <model>" even when CODI's own sentences were shown.
    result = run_project(DEMO / "go", RunOptions(llm=False, out=tmp_path))
    assert result.run_dir is not None
    md = (result.run_dir / "reports" / "report.md").read_text()
    html = (result.run_dir / "reports" / "report.html").read_text()
    assert "## Summary (CODI's own words" in md and "written by" not in md.lower()
    assert "(CODI&#39;s own words)" in html or "(CODI's own words)" in html
    assert "written by" not in html.lower()


def test_html_report_escapes_dockerfile_text(tmp_path: Path) -> None:
    project = tmp_path / "proj ünï"
    project.mkdir()
    (project / "Dockerfile").write_text('FROM debian:12\nLABEL x="<script>alert(1)</script>"\nRUN apt-get install curl\n')
    result = run_project(project, RunOptions(llm=False, out=tmp_path / "runs"))
    assert result.run_dir is not None
    html = (result.run_dir / "reports" / "report.html").read_text()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;" in html
    assert result.record.stack == "unknown"
    assert all(c.kind in {"fixed", "tuned", "variant"} for c in result.record.candidates)  # edits of the original only
    assert any("unknown stack" in n for n in result.record.notes)


@pytest.mark.parametrize(("setup", "message"), [
    ("missing", "no such project folder"),
    ("file", "is a file, not a project folder"),
    ("empty", "no Dockerfile found"),
    ("broken", "Dockerfile:2: unknown instruction"),
])
def test_bad_input_is_one_clear_error(tmp_path: Path, setup: str, message: str) -> None:
    project = tmp_path / "p"
    if setup == "file":
        project.write_text("x")
    elif setup in ("empty", "broken"):
        project.mkdir()
        if setup == "broken":
            (project / "Dockerfile").write_text("FROM a\nFROB x\n")
    with pytest.raises(InputError, match=message):
        run_project(project, RunOptions(llm=False, out=tmp_path / "runs"))
    result = runner.invoke(app, ["run", str(project), "--out", str(tmp_path / "runs")])
    assert result.exit_code == 2
    assert message in result.output and "Traceback" not in result.output
    assert not (tmp_path / "runs").exists() or not list((tmp_path / "runs").iterdir())


# An unwritable --out is tested as any user, root included, in test_unwritable_out_any_user.py.


def test_out_dir_that_is_a_file(tmp_path: Path) -> None:
    out = tmp_path / "runs"
    out.write_text("not a folder")
    with pytest.raises(InputError, match="cannot write runs there"):
        run_project(DEMO / "go", RunOptions(llm=False, out=out))


def test_cli_run_json_and_out_before_command(tmp_path: Path) -> None:
    result = runner.invoke(app, ["--out", str(tmp_path), "run", str(DEMO / "go"), "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert Path(payload["run_dir"]).parent == tmp_path
    report = runner.invoke(app, ["report", payload["run_dir"]])
    assert report.exit_code == 0 and "report.html" in report.output
    missing = runner.invoke(app, ["report", str(tmp_path / "nope")])
    assert missing.exit_code == 2


def test_cli_rewrite_and_analyze(tmp_path: Path) -> None:
    out = tmp_path / "cands"
    result = runner.invoke(app, ["rewrite", str(DEMO / "node"), "--out-dir", str(out)])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir())[0].startswith("001-")
    one = runner.invoke(app, ["rewrite", str(DEMO / "node"), "--stdout"])
    assert one.exit_code == 0 and one.output.startswith("#") and "FROM" in one.output
    analysis = runner.invoke(app, ["analyze", str(DEMO / "java"), "--json"])
    data = json.loads(analysis.output)
    assert data["detection"]["primary"]["stack"] == "java"
    assert data["detection"]["primary"]["evidence"][0]["file"] == "pom.xml"
