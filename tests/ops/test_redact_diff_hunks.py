"""A candidate's diff is redacted for display: a hunk never starts on a continuation line, whose secret
the redactor could not tell from an ordinary word without the line it continues (QA, issue 19 §6)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from codi.service.diff_text import unified_diff
from codi.telemetry.redact import redact_text

PASSWORD = "CurlNextLinePw2024"
# The fix (pip's --no-cache-dir) is three lines below the password: a three-line hunk would start on it.
DOCKERFILE = f"""FROM python:3.11.4-slim-bookworm
RUN curl --user admin:\\
{PASSWORD} https://example.com/x -o /tmp/x || true
ENV APP_HOME=/app
WORKDIR /app
RUN pip install flask==3.0.0
COPY . /app
CMD ["python", "/app/app.py"]
"""


def test_a_hunk_starts_at_the_instruction_its_first_line_continues() -> None:
    after = DOCKERFILE.replace("pip install", "pip install --no-cache-dir")
    diff = unified_diff(DOCKERFILE, after, "candidates/001-fixed.Dockerfile")
    assert " RUN curl --user admin:\\\n" in diff
    assert PASSWORD not in redact_text(diff)


def test_the_widened_diff_still_applies(tmp_path: Path) -> None:
    before = "".join(f"RUN a{i} \\\n  && b{i}\n" for i in range(12))
    after = before.replace("b5\n", "c5\n").replace("a9 ", "z9 ")
    (tmp_path / "Dockerfile").write_text(before)
    (tmp_path / "p.diff").write_text(unified_diff(before, after, "x") + "\n")
    subprocess.run(["patch", "-s", "-p1", "-d", str(tmp_path), "-i", str(tmp_path / "p.diff"), "Dockerfile"],
                   check=True)
    assert (tmp_path / "Dockerfile").read_text() == after
    assert unified_diff(before, before, "x") == ""


def test_run_reports_and_metadata_hold_no_next_line_password(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import codi.cli.project_cmds  # noqa: F401
    from codi.cli.app import app

    monkeypatch.setenv("LLM_ENABLED", "false")
    project = tmp_path / "proj"
    project.mkdir()
    (project / "Dockerfile").write_text(DOCKERFILE)
    (project / "requirements.txt").write_text("flask==3.0.0\n")
    (project / "app.py").write_text("print(1)\n")
    out = tmp_path / "runs"
    result = CliRunner().invoke(app, ["run", str(project), "--out", str(out), "--no-llm"])
    assert result.exit_code == 0, result.output
    (run_dir,) = [p.parent.parent for p in out.rglob("run.json") if p.parent.name == "metadata"]
    candidates = list((run_dir / "candidates").glob("*.Dockerfile"))
    assert candidates and all(PASSWORD in c.read_text() for c in candidates)  # the user's text, verbatim
    assert "--no-cache-dir" in (run_dir / "metadata" / "run.json").read_text()  # a diff was described
    for path in out.rglob("*"):
        if path.is_file() and path.parent.name not in {"inputs", "candidates"}:
            assert PASSWORD.encode() not in path.read_bytes(), f"leaked into {path.relative_to(out)}"
