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


_DOCKER_INIT = ('ARG PYTHON_VERSION=3.11.4\nFROM python:${PYTHON_VERSION}-slim as base\nENV PYTHONUNBUFFERED=1\n'
                'WORKDIR /app\nARG UID=10001\nRUN adduser \\\n    --disabled-password \\\n    --gecos "" \\\n'
                '    --no-create-home \\\n    --uid "${UID}" \\\n    appuser\n'
                'RUN --mount=type=cache,target=/root/.cache/pip \\\n'
                '    --mount=type=bind,source=requirements.txt,target=requirements.txt \\\n'
                '    python -m pip install -r requirements.txt\nUSER appuser\nCOPY . .\nEXPOSE 8000\n'
                'CMD python3 -m uvicorn app.main:app --host=0.0.0.0 --port=8000\n')


def test_an_original_that_makes_its_own_user_keeps_it(tmp_path: Path) -> None:
    """Regression (`docker init`'s Python Dockerfile): the multi-stage candidate kept the original's
    `adduser --uid 10001 appuser` and added its own `useradd --uid 10001 app`: "The UID 10001 is already in
    use", the build failed. Now it runs as the original's user, made by the original's RUN."""
    texts, _, _ = _run(tmp_path, _DOCKER_INIT)
    runtime = texts["python-pip-multistage"].split("\nFROM ")[-1]
    assert "useradd" not in runtime and runtime.count("appuser") == 2  # made once, then USER
    assert runtime.rstrip().endswith("USER appuser")


def test_a_user_the_original_does_not_make_is_not_taken_for_its_own(tmp_path: Path) -> None:
    texts, _, _ = _run(tmp_path, _FASTAPI + 'USER nobody\nCMD ["fastapi", "run", "app/main.py"]\n')
    runtime = texts["python-pip-multistage"].split("\nFROM ")[-1]
    assert "RUN useradd" in runtime and runtime.rstrip().endswith("USER 10001:10001")


def test_a_user_made_after_the_copies_is_not_taken_over(tmp_path: Path) -> None:
    """The templates copy (with --chown) before they replay RUNs that came after the original's first copy:
    a user made there does not exist yet at that point, so the template makes its own."""
    texts, _, _ = _run(tmp_path, _FASTAPI + "RUN useradd -m appuser\nUSER appuser\n"
                       'CMD ["fastapi", "run", "app/main.py"]\n')
    runtime = texts["python-pip-multistage"].split("\nFROM ")[-1]
    assert "RUN useradd --system" in runtime and runtime.rstrip().endswith("USER 10001:10001")


def test_odd_port_words_are_no_port() -> None:
    from codi.optimise.contract.model import RuntimeContract
    from codi.optimise.contract.ports import privileged_port

    odd = RuntimeContract(ports=["²/tcp", "${PORT}", "0", "99999999999999999999/tcp", "8080/tcp"],
                          cmd=["gunicorn", "-b", ":²"])
    assert privileged_port(odd) is None
    assert privileged_port(RuntimeContract(ports=["8080/tcp", "443/tcp"])) == 443
