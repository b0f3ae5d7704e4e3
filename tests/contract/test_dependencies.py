"""Issue 24 item 5: a candidate installs the original's application dependencies, from the same source.

The contract records each install (inline specs, a requirements file, the project, a lockfile); a
difference is a violation unless a rule declares it. The pip template renders from the original's.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from codi.optimise.contract import DeclaredChange, check_contract, compute_contract
from codi.optimise.contract.model import RuntimeContract
from codi.parser import parse
from codi.parser.semantic import build_model
from codi.service.run import RunOptions, run_project


def _contract(text: str) -> RuntimeContract:
    df = parse(text, "Dockerfile")
    return compute_contract(df, build_model(df))


def _keys(text: str) -> list[str]:
    return [d.key for d in _contract(text).dependencies]


def test_sources_are_read_from_every_stage_that_feeds_the_image() -> None:
    assert _keys('FROM python:3.12\nWORKDIR /app\nRUN pip install "FastAPI==0.115.0" uvicorn==0.30.6 '
                 '&& pip install --upgrade pip\n') == ["pip: fastapi==0.115.0 uvicorn==0.30.6"]
    assert _keys("FROM python:3.12 AS build\nWORKDIR /app\n"
                 "RUN pip --python /opt/venv/bin/python install -r requirements.txt && pip install --no-deps .\n"
                 "FROM python:3.12 AS tests\nRUN pip install pytest==8.3.0\n"
                 "FROM python:3.12-slim\nCOPY --from=build /opt/venv /opt/venv\n") == ["pip: requirements.txt"]
    assert _keys("FROM python:3.12\nWORKDIR /srv\nRUN pip install -r /srv/req/prod.txt -e .\n") == \
        ["pip: req/prod.txt", "pip: project"]
    assert _keys("FROM node:20\nWORKDIR /a\nRUN npm i -g pnpm@8 && npm ci --omit=dev && yarn add left-pad@1.0.0\n") == \
        ["npm: package.json", "yarn: left-pad@1.0.0"]
    assert _keys("FROM python:3.12\nRUN pip install poetry==1.8.3 && poetry install --only main\n") == \
        ["poetry: poetry.lock"]


def test_a_different_source_pin_or_package_is_a_violation_unless_declared() -> None:
    inline = _contract('FROM python:3.12\nRUN pip install "fastapi==0.115.0" "uvicorn==0.30.6"\n')
    from_file = _contract("FROM python:3.12\nRUN pip install -r requirements.txt\n")
    repinned = _contract('FROM python:3.12\nRUN pip install "fastapi==0.115.2" "uvicorn==0.30.6"\n')
    check = check_contract(inline, from_file, [])
    assert sorted(v.message for v in check.violations) == [
        "installs pip from `requirements.txt`, which the original does not",
        "the original installs pip packages named inline (`fastapi==0.115.0 uvicorn==0.30.6`) (line 2), "
        "the candidate does not"]
    assert len(check_contract(inline, repinned, []).violations) == 2
    assert check_contract(inline, inline, []).ok
    declared = check_contract(inline, from_file, [DeclaredChange(field="dependencies", reason="test", risk="high")])
    assert declared.ok and len(declared.intended) == 2


def test_fastapi_installed_inline_gets_a_candidate_that_installs_the_same_packages(tmp_path: Path) -> None:
    project = tmp_path / "fa"
    project.mkdir()
    (project / "Dockerfile").write_text(
        'FROM python:3.12\nWORKDIR /app\nCOPY . .\nRUN pip install "fastapi==0.115.0" "uvicorn==0.30.6"\n'
        'EXPOSE 8000\nCMD ["uvicorn", "main:app", "--host", "0.0.0.0"]\n')
    (project / "requirements.txt").write_text("fastapi==0.115.0\nuvicorn==0.30.6\nblack==24.8.0\n")
    (project / "main.py").write_text("app = None\n")
    result = run_project(project, RunOptions(llm=False, rag=False, out=tmp_path / "runs"))
    multi = next(c for c in result.record.candidates if c.rule_id == "python-pip-multistage")
    assert result.run_dir is not None
    text = (result.run_dir / multi.path).read_text()
    assert "install fastapi==0.115.0 uvicorn==0.30.6\n" in text
    assert "requirements.txt" not in text and "black" not in text
    assert [d.key for d in multi.contract.dependencies] == ["pip: fastapi==0.115.0 uvicorn==0.30.6"]


def test_requirements_files_are_all_installed_as_the_original_does(tmp_path: Path) -> None:
    project = tmp_path / "py"
    project.mkdir()
    (project / "Dockerfile").write_text(
        "FROM python:3.12\nWORKDIR /app\nCOPY . .\nRUN pip install -r requirements.txt -r requirements-extra.txt\n"
        'CMD ["python", "app.py"]\n')
    (project / "requirements.txt").write_text("flask==3.0.3\n")
    (project / "requirements-extra.txt").write_text("gunicorn==23.0.0\n")
    (project / "app.py").write_text("")
    result = run_project(project, RunOptions(llm=False, rag=False, out=tmp_path / "runs"))
    multi = next(c for c in result.record.candidates if c.rule_id == "python-pip-multistage")
    assert result.run_dir is not None
    assert "install -r requirements.txt -r requirements-extra.txt\n" in (result.run_dir / multi.path).read_text()


def test_a_candidate_that_drops_the_originals_asset_install_is_not_offered(tmp_path: Path) -> None:
    """pterodactyl builds its frontend with `yarn install` in stage 0 and copies `--from=0`; the PHP
    template put its Composer stage first, so its `COPY --from=0` took the assets from the wrong stage."""
    from codi.optimise.catalog import load_catalog
    from codi.service.analyze import analyze
    from codi.service.candidates import build_candidates

    project = Path(__file__).resolve().parents[2].parent / "shared" / "projects" / "php-pterodactyl-panel"
    if not project.is_dir():
        pytest.skip(f"{project} is not here (the shared projects sit beside the repository)")
    cands = build_candidates(analyze(project), load_catalog(None), 5)
    rejected = next(r for r in cands.rejected if r.rule_id == "php-composer-vendor")
    assert [v.message for v in rejected.violations if v.field == "dependencies"] == [
        "the original installs yarn from `package.json` (line 8), the candidate does not"]
    assert "php-composer-vendor" not in [c.record.rule_id for c in cands.built]
