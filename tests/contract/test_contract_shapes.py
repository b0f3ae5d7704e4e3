"""The runtime contract of small hand-written Dockerfiles, and what `codi run` offers for them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from codi.optimise.contract import RuntimeContract, compute_contract, diff_contracts
from codi.parser import parse
from codi.parser.semantic import build_model
from codi.service.run import RunOptions, RunResult, run_project


def contract(text: str, build_args: dict[str, str] | None = None, project: Path | None = None,
             target: str | None = None) -> RuntimeContract:
    df = parse(text, "Dockerfile")
    model = build_model(df, build_args or {})
    stage = model.stage_by_ref(target) if target else None
    if target:
        assert stage is not None, target
    return compute_contract(df, model, stage, project)


def write(root: Path, files: dict[str, str]) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def run(project: Path, out: Path, **kw: object) -> RunResult:
    return run_project(project, RunOptions(llm=False, rag=False, out=out, **kw))  # type: ignore[arg-type]


# --- compute_contract -------------------------------------------------------------------------------


def test_cmd_inherited_from_a_known_base() -> None:
    c = contract("FROM python:3.12\nWORKDIR /app\n")
    assert c.base == "python:3.12" and c.base_known
    assert c.cmd == ["python3"] and c.cmd_origin == "base"
    assert c.entrypoint is None
    assert c.runtime == "python" and c.runtime_version == "3.12"


def test_node_entrypoint_inherited() -> None:
    c = contract('FROM node:18\nCMD ["node", "server.js"]\n')
    assert c.entrypoint == ["docker-entrypoint.sh"] and c.entrypoint_origin == "base"
    assert c.cmd == ["node", "server.js"] and c.cmd_origin == "dockerfile"
    exe = {(e.name, e.used_by): e.provider for e in c.executables}
    assert exe[("docker-entrypoint.sh", "ENTRYPOINT")] in {"base", "runtime"}


def test_entrypoint_clears_an_inherited_cmd() -> None:
    c = contract('FROM node:18\nENTRYPOINT ["/app/run"]\n')
    assert c.entrypoint == ["/app/run"]
    assert c.cmd is None
    # ...but not a CMD set earlier in the same stage
    c = contract('FROM node:18\nCMD ["a"]\nENTRYPOINT ["/app/run"]\n')
    assert c.cmd == ["a"]


def test_shell_form_cmd_runs_under_the_shell() -> None:
    assert contract("FROM python:3.12\nCMD python app.py\n").cmd == ["/bin/sh", "-c", "python app.py"]


def test_shell_instruction_changes_shell_form() -> None:
    c = contract('FROM python:3.12\nSHELL ["/bin/bash", "-o", "pipefail", "-c"]\nCMD python app.py\n')
    assert c.shell == ["/bin/bash", "-o", "pipefail", "-c"]
    assert c.cmd == ["/bin/bash", "-o", "pipefail", "-c", "python app.py"]


def test_user_and_relative_workdir() -> None:
    c = contract("FROM python:3.12\nWORKDIR /srv\nWORKDIR app\nWORKDIR ../data\nUSER 1000:1000\n")
    assert c.workdir == "/srv/data"
    assert c.user == "1000:1000" and c.user_origin == "dockerfile"
    assert contract("FROM python:3.12\nUSER root\n").user == ""


def test_env_includes_the_base_env() -> None:
    c = contract("FROM python:3.12\nENV FOO=bar PATH=/opt/venv/bin:$PATH\n")
    assert c.env["FOO"] == "bar"
    assert c.env["LANG"] == "C.UTF-8"  # from the base
    assert c.env["PATH"] is not None and c.env["PATH"].startswith("/opt/venv/bin:/usr/local/bin")
    assert "PYTHON_VERSION" in c.env


def test_expose_with_arg_default() -> None:
    c = contract("FROM python:3.12\nARG PORT=8000\nEXPOSE $PORT\n")
    assert c.expose_written == ["$PORT"]
    assert c.ports == ["8000/tcp"]


def test_build_arg_changes_the_port() -> None:
    c = contract("FROM python:3.12\nARG PORT=8000\nEXPOSE $PORT\n", {"PORT": "9000"})
    assert c.expose_written == ["$PORT"] and c.ports == ["9000/tcp"]
    changes = diff_contracts(contract("FROM python:3.12\nARG PORT=8000\nEXPOSE $PORT\n"), c)
    assert [ch.field for ch in changes] == ["ports"]


def test_from_arg_with_default() -> None:
    c = contract("ARG BASE=python:3.12\nFROM ${BASE}\n")
    assert c.base == "python:3.12" and c.base_known and c.cmd == ["python3"]
    c = contract("ARG BASE=python:3.12\nFROM ${BASE}\n", {"BASE": "node:20"})
    assert c.base == "node:20" and c.entrypoint == ["docker-entrypoint.sh"]


def test_copy_from_a_stage_resolves_to_context_files(tmp_path: Path) -> None:
    project = write(tmp_path / "p", {"src/app.py": "", "other.txt": ""})
    c = contract("FROM python:3.12 AS build\nCOPY src /src\nRUN true\n"
                 "FROM python:3.12-slim\nCOPY --from=build /src /app\n", project=project)
    assert [(f.source, f.dest) for f in c.files] == [("src", "/app")]


def test_entrypoint_script_from_the_context(tmp_path: Path) -> None:
    project = write(tmp_path / "p", {"docker/entry.sh": "#!/bin/sh\nexec \"$@\"\n"})
    c = contract('FROM python:3.12-slim\nCOPY docker/entry.sh /usr/local/bin/entry.sh\n'
                 'ENTRYPOINT ["/usr/local/bin/entry.sh"]\nCMD ["python", "-m", "app"]\n', project=project)
    exe = next(e for e in c.executables if e.used_by == "ENTRYPOINT")
    assert exe.name == "/usr/local/bin/entry.sh" and exe.provider == "context"
    assert "docker/entry.sh" in exe.detail


def test_healthcheck_program_installed_by_apt() -> None:
    c = contract("FROM debian:12\nRUN apt-get update && apt-get install -y --no-install-recommends curl\n"
                 "HEALTHCHECK --interval=30s CMD curl -f http://localhost/ || exit 1\n")
    assert c.healthcheck is not None and c.healthcheck.startswith("--interval=30s")
    exe = next(e for e in c.executables if e.used_by == "HEALTHCHECK")
    assert exe.name == "curl" and exe.provider == "package"


def test_target_stage() -> None:
    text = ('FROM python:3.12 AS dev\nCMD ["dev"]\nFROM python:3.12-slim AS prod\nUSER app\nCMD ["prod"]\n')
    dev = contract(text, target="dev")
    assert dev.base == "python:3.12" and dev.cmd == ["dev"] and dev.user == ""
    prod = contract(text)
    assert prod.base == "python:3.12-slim" and prod.cmd == ["prod"] and prod.user == "app"


def test_run_target_records_the_target_contract(tmp_path: Path) -> None:
    project = write(tmp_path / "p", {
        "requirements.txt": "flask\n", "app.py": "",
        "Dockerfile": ('FROM python:3.12 AS dev\nWORKDIR /app\nCOPY . .\nCMD ["python", "dev.py"]\n'
                       'FROM python:3.12-slim AS prod\nWORKDIR /app\nCOPY . .\nCMD ["python", "app.py"]\n')})
    result = run(project, tmp_path / "runs", target="dev")
    assert result.record.target_stage == "dev"
    assert result.record.contract is not None and result.record.contract.cmd == ["python", "dev.py"]
    for c in result.record.candidates:
        assert c.contract is not None and c.contract.cmd == ["python", "dev.py"], c.id


# --- the pipeline -----------------------------------------------------------------------------------

NODE_DOCKERFILE = """\
FROM node:18
WORKDIR /usr/src/app
COPY . .
RUN npm ci
EXPOSE 3000
ENTRYPOINT ["docker-entrypoint.sh"]
CMD ["node", "./bin/www"]
"""


def test_node_project_keeps_entrypoint_and_cmd(tmp_path: Path) -> None:
    project = write(tmp_path / "node-app", {
        "package.json": json.dumps({"name": "app", "version": "1.0.0", "scripts": {"start": "node index.js"},
                                    "dependencies": {"express": "^4.18.0"}}),
        "package-lock.json": json.dumps({"name": "app", "lockfileVersion": 3, "packages": {}}),
        "index.js": "", "bin/www": "#!/usr/bin/env node\n", "Dockerfile": NODE_DOCKERFILE})
    result = run(project, tmp_path / "runs")
    assert result.record.stack == "node"
    assert result.record.candidates, result.record.rejected
    assert result.run_dir is not None
    for c in result.record.candidates:
        assert c.contract is not None
        assert c.contract.entrypoint == ["docker-entrypoint.sh"], c.id
        assert c.contract.cmd == ["node", "./bin/www"], c.id
        text = (result.run_dir / c.path).read_text()
        assert "./bin/www" in text, c.id
        assert "index.js" not in text, c.id  # the manifest's start script is not the command


def test_fastapi_base_is_not_swapped(tmp_path: Path) -> None:
    project = write(tmp_path / "fastapi", {
        "requirements.txt": "fastapi\nsqlalchemy\n", "app/__init__.py": "", "app/main.py": "app = None\n",
        "Dockerfile": ("FROM tiangolo/uvicorn-gunicorn-fastapi:python3.9-slim\n"
                       "COPY ./requirements.txt /app/requirements.txt\n"
                       "RUN pip install --no-cache-dir -r /app/requirements.txt\n"
                       "COPY ./app /app/app\n")})
    result = run(project, tmp_path / "runs")
    original = result.record.contract
    assert original is not None and original.cmd == ["/start.sh"] and original.runtime_version == "3.9"
    for c in result.record.candidates:
        assert c.contract is not None
        assert not (c.contract.base or "").startswith("python:3.12"), c.id
        assert c.contract.cmd == original.cmd and c.contract.entrypoint == original.entrypoint, c.id
        assert c.contract.runtime_version == original.runtime_version, c.id
    catalog = [r for r in result.record.rejected if r.rule_id not in {"fixed", "tuned"}]
    assert catalog, result.record.rejected
    assert any(r.violations for r in catalog)
    assert all(r.reason.startswith("changes the runtime contract") for r in catalog if r.violations)


def test_python_app_with_a_node_assets_stage(tmp_path: Path) -> None:
    project = write(tmp_path / "flask-assets", {
        "requirements.txt": "flask\n", "app.py": "",
        "frontend/package.json": json.dumps({"name": "f", "scripts": {"build": "vite build"},
                                             "devDependencies": {"vite": "^5"}}),
        "frontend/package-lock.json": "{}",
        "Dockerfile": ("FROM node:20 AS assets\nWORKDIR /src\nCOPY frontend/ .\nRUN npm ci && npm run build\n"
                       "FROM python:3.12-slim\nWORKDIR /app\nCOPY requirements.txt .\n"
                       "RUN pip install --no-cache-dir -r requirements.txt\nCOPY . .\n"
                       "COPY --from=assets /src/dist ./static\nEXPOSE 8000\nCMD [\"python\", \"app.py\"]\n")})
    result = run(project, tmp_path / "runs")
    assert result.record.stack == "python"
    for c in result.record.candidates:
        assert c.contract is not None and c.contract.user != "node", c.id
        assert c.contract.runtime == "python", c.id
        assert not c.rule_id.startswith("node"), c.id


def test_nginx_static_site_built_with_node(tmp_path: Path) -> None:
    project = write(tmp_path / "site", {
        "package.json": json.dumps({"name": "s", "scripts": {"build": "vite build"},
                                    "devDependencies": {"vite": "^5"}}),
        "package-lock.json": "{}", "index.html": "<html></html>",
        "Dockerfile": ("FROM node:20 AS build\nWORKDIR /src\nCOPY package*.json ./\nRUN npm ci\nCOPY . .\n"
                       "RUN npm run build\nFROM nginx:alpine\nCOPY --from=build /src/dist /usr/share/nginx/html\n")})
    result = run(project, tmp_path / "runs")
    assert result.record.stack == "static"
    for c in result.record.candidates:
        assert c.contract is not None
        assert c.contract.runtime != "node" and not (c.contract.base or "").startswith("node"), c.id
        assert not c.rule_id.startswith("node"), c.id
        assert c.contract.cmd == ["nginx", "-g", "daemon off;"], c.id


def test_unknown_base_is_not_swapped(tmp_path: Path) -> None:
    project = write(tmp_path / "corp", {
        "requirements.txt": "flask\n", "app.py": "",
        "Dockerfile": ("FROM mycorp/base:1\nWORKDIR /app\nCOPY requirements.txt .\n"
                       "RUN pip install -r requirements.txt\nCOPY . .\nCMD [\"python\", \"app.py\"]\n")})
    result = run(project, tmp_path / "runs")
    original = result.record.contract
    assert original is not None and not original.base_known
    for c in result.record.candidates:
        assert c.contract is not None and c.contract.base == "mycorp/base:1", c.id
    assert any("mycorp/base:1" in n and "unknown" in n for n in result.record.notes), result.record.notes


@pytest.mark.parametrize("port", ["8000", "9000"])
def test_build_arg_port_reaches_candidates(tmp_path: Path, port: str) -> None:
    project = write(tmp_path / "api", {
        "requirements.txt": "flask\n", "app.py": "",
        "Dockerfile": ("FROM python:3.12\nARG PORT=8000\nWORKDIR /app\nCOPY requirements.txt .\n"
                       "RUN pip install -r requirements.txt\nCOPY . .\nEXPOSE $PORT\nCMD [\"python\", \"app.py\"]\n")})
    result = run(project, tmp_path / "runs", build_args={"PORT": port})
    original = result.record.contract
    assert original is not None and original.ports == [f"{port}/tcp"] and original.expose_written == ["$PORT"]
    for c in result.record.candidates:
        assert c.contract is not None and c.contract.ports == [f"{port}/tcp"], c.id
