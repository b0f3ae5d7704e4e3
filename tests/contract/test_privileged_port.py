"""An app that binds a port below 1024 as root (FastAPI's documented Dockerfile: `fastapi run ... --port 80`,
no EXPOSE) keeps root in the candidates: a non-root user binds such a port only where the runtime lowers
the unprivileged port start (Docker 20.10+, not Kubernetes or a plain Linux host). Regression: both
candidates switched to user 10001 and failed their smoke run with `[Errno 13] ... permission denied`."""

from __future__ import annotations

from pathlib import Path

import pytest

from codi.service.run import RunOptions, run_project


def _run(tmp_path: Path, dockerfile: str) -> tuple[dict[str, str], list[str], list[str]]:
    project = tmp_path / "app"
    (project / "app").mkdir(parents=True)
    (project / "requirements.txt").write_text("fastapi==0.113.0\nuvicorn==0.30.6\n")
    (project / "app" / "main.py").write_text("from fastapi import FastAPI\napp = FastAPI()\n")
    (project / "Dockerfile").write_text(dockerfile)
    result = run_project(project, RunOptions(llm=False, rag=False, out=tmp_path / "runs"))
    assert result.run_dir is not None
    texts = {c.rule_id: (result.run_dir / c.path).read_text() for c in result.record.candidates}
    notes = [n for c in result.record.candidates for n in c.notes]
    return texts, notes, [r.reason for r in result.record.rejected]


_FASTAPI = ("FROM python:3.9\nWORKDIR /code\nCOPY ./requirements.txt /code/requirements.txt\n"
            "RUN pip install --no-cache-dir --upgrade -r /code/requirements.txt\nCOPY ./app /code/app\n")


@pytest.mark.parametrize("tail", ['CMD ["fastapi", "run", "app/main.py", "--port", "80"]\n',
                                  'EXPOSE 80\nCMD ["uvicorn", "app.main:app", "--host", "0.0.0.0", "--port", "80"]\n',
                                  'CMD uvicorn app.main:app --host 0.0.0.0 --port 443\n'])
def test_a_root_app_on_a_low_port_keeps_root_in_its_candidates(tmp_path: Path, tail: str) -> None:
    texts, notes, _ = _run(tmp_path, _FASTAPI + tail)
    multistage = texts["python-pip-multistage"]
    assert "USER" not in multistage.split("\nFROM ")[-1] and "useradd" not in multistage
    assert "--chown" not in multistage
    assert any("keeps the original's user (root): the app binds port" in n for n in notes)
    assert "nonroot" not in texts  # the variant whose whole point is the user is not offered


def test_an_app_on_a_high_port_still_gets_a_non_root_user(tmp_path: Path) -> None:
    texts, notes, _ = _run(tmp_path, _FASTAPI + 'CMD ["fastapi", "run", "app/main.py", "--port", "8000"]\n')
    runtime = texts["python-pip-multistage"].split("\nFROM ")[-1]
    assert "RUN useradd" in runtime and runtime.rstrip().endswith("USER 10001:10001")
    assert not any("keeps the original's user" in n for n in notes)
