"""The tuned candidate's reorder: manifests copied and installed before the whole build context (CD201).

Through ``tune`` (the transformation and each condition under which it is refused), ``run_project`` (the
candidate passes the lint, contract and review checks) and ``codi run`` (the node demo).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

import codi.cli.project_cmds  # noqa: F401  (registers `codi run` on the app)
from codi.cli.app import app
from codi.optimise.manifests import Context
from codi.optimise.tune import Tuning, tune
from codi.parser import parse
from codi.parser.semantic import build_model
from codi.rules.buildkit.dockerignore import DockerIgnore
from codi.service.run import RunOptions, run_project

DEMO = Path(__file__).resolve().parents[2] / "demo"
PKG = json.dumps({"name": "x", "version": "1.0.0", "dependencies": {"express": "5.0.0"}})
NODE_FILES = {"package.json": PKG, "package-lock.json": "{}", ".dockerignore": "node_modules\n", "server.js": ""}


def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def _tune(root: Path, dockerfile: str, files: dict[str, str]) -> Tuning:
    _write(root, files)
    model = build_model(parse(dockerfile))
    assert model.final_stage is not None
    ignore = DockerIgnore.parse(files[".dockerignore"]) if ".dockerignore" in files else None
    return tune(dockerfile, model, model.final_stage, {}, Context(root, ignore))


def _kept(result: Tuning, text: str, why: str) -> None:
    """Left as it is, and the notes say why."""
    assert result.text == text and not result.changed and result.risk == "low"
    assert len(result.kept) == 1 and why in result.kept[0], result.kept


NODE = ("FROM node:20\nWORKDIR /app\nCOPY --chown=node:node . .\nENV NODE_ENV=production\n"
        "RUN npm ci --omit=dev\nCMD [\"node\", \"server.js\"]\n")


def test_node_manifests_first_byte_for_byte(tmp_path: Path) -> None:
    result = _tune(tmp_path, NODE, NODE_FILES)
    assert result.text == ("FROM node:20\nWORKDIR /app\nCOPY --chown=node:node package.json package-lock.json ./\n"
                           "ENV NODE_ENV=production\nRUN npm ci --omit=dev\nCOPY --chown=node:node . .\n"
                           "CMD [\"node\", \"server.js\"]\n")
    assert result.risk == "medium" and not result.kept
    assert "copies package.json, package-lock.json to /app first" in result.notes[0]
    assert "no node_modules folder" not in result.notes[0]  # .dockerignore leaves it out


def test_python_requirement_includes_copied_byte_for_byte(tmp_path: Path) -> None:
    text = ("FROM python:3.12\nWORKDIR /srv\nCOPY . /srv\n"
            "RUN pip install --upgrade pip && cd /srv && pip install -r requirements/prod.txt\n"
            "CMD [\"python\", \"app.py\"]\n")
    files = {"requirements/prod.txt": "-r base.txt\nflask==3.0.0 \\\n  --hash=sha256:abc  # pinned\n",
             "requirements/base.txt": "-c ../constraints.txt\nrequests>=2 ; python_version > '3.8'\n",
             "constraints.txt": "urllib3<3\n", "app.py": ""}
    result = _tune(tmp_path, text, files)
    assert result.text == (
        "FROM python:3.12\nWORKDIR /srv\nCOPY requirements/prod.txt requirements/base.txt /srv/requirements/\n"
        "COPY constraints.txt /srv/\nRUN pip install --upgrade pip && cd /srv && pip install -r requirements/prod.txt\n"
        "COPY . /srv\nCMD [\"python\", \"app.py\"]\n")
    assert result.risk == "medium"


@pytest.mark.parametrize(("install", "lock", "expected"), [
    ("yarn install --frozen-lockfile", "yarn.lock", "COPY package.json yarn.lock .npmrc .yarnclean /usr/src/app/"),
    ("pnpm install --frozen-lockfile", "pnpm-lock.yaml", "COPY package.json pnpm-lock.yaml .npmrc /usr/src/app/"),
])
def test_yarn_and_pnpm_reorder(tmp_path: Path, install: str, lock: str, expected: str) -> None:
    text = f"FROM node:20\nADD . /usr/src/app\nRUN cd /usr/src/app && {install}\nCMD [\"node\", \"s.js\"]\n"
    files = {"package.json": PKG, lock: "", ".npmrc": "fund=false\n", ".yarnclean": "test\n"}
    result = _tune(tmp_path, text, files)
    assert f"{expected}\nRUN cd /usr/src/app && {install}\nADD . /usr/src/app\n" in result.text
    assert "no node_modules folder now" in result.notes[0]  # declared: it holds while the project has none


def test_missing_manifest(tmp_path: Path) -> None:
    text = "FROM python:3.12\nWORKDIR /app\nCOPY . .\nRUN pip install -r requirements.txt\n"
    _kept(_tune(tmp_path, text, {"app.py": ""}), text, "`requirements.txt` is not in the project")


def test_missing_requirement_include(tmp_path: Path) -> None:
    text = "FROM python:3.12\nWORKDIR /app\nCOPY . .\nRUN pip install -r requirements.txt\n"
    _kept(_tune(tmp_path, text, {"requirements.txt": "-r base.txt\n"}), text, "`base.txt` is not in the project")


@pytest.mark.parametrize("script", ["preinstall", "install", "postinstall", "prepare", "prepublish"])
def test_install_time_script(tmp_path: Path, script: str) -> None:
    pkg = json.dumps({"name": "x", "scripts": {script: "node build.js"}})
    _kept(_tune(tmp_path, NODE, {**NODE_FILES, "package.json": pkg}), NODE, f"has a `{script}` script")


@pytest.mark.parametrize("spec", ["file:../lib", "link:./lib", "./vendor/x.tgz"])
def test_local_dependency(tmp_path: Path, spec: str) -> None:
    pkg = json.dumps({"name": "x", "dependencies": {"lib": spec}})
    _kept(_tune(tmp_path, NODE, {**NODE_FILES, "package.json": pkg}), NODE, "local dependency")


def test_workspaces(tmp_path: Path) -> None:
    pkg = json.dumps({"name": "x", "workspaces": ["packages/*"]})
    _kept(_tune(tmp_path, NODE, {**NODE_FILES, "package.json": pkg}), NODE, "workspaces")


def test_node_modules_in_the_context(tmp_path: Path) -> None:
    files = {k: v for k, v in NODE_FILES.items() if k != ".dockerignore"}
    files["node_modules/express/index.js"] = ""
    _kept(_tune(tmp_path, NODE, files), NODE, "node_modules folder is in the build context")


@pytest.mark.parametrize(("requirements", "why"), [
    ("-e .\n", "editable"),
    ("./libs/mylib\n", "local path"),
    ("--find-links ./wheels\nflask\n", "local folder"),
    ("mylib @ file:///app/libs/mylib\n", "local file"),
])
def test_requirements_that_read_the_project(tmp_path: Path, requirements: str, why: str) -> None:
    text = "FROM python:3.12\nWORKDIR /app\nCOPY . .\nRUN pip install -r requirements.txt\n"
    _kept(_tune(tmp_path, text, {"requirements.txt": requirements}), text, why)


def test_pip_install_of_the_project_itself(tmp_path: Path) -> None:
    text = "FROM python:3.12\nWORKDIR /app\nCOPY . .\nRUN pip install -r requirements.txt && pip install .\n"
    _kept(_tune(tmp_path, text, {"requirements.txt": "flask\n"}), text, "`pip install .`")


def test_run_does_more_than_install(tmp_path: Path) -> None:
    text = NODE.replace("RUN npm ci --omit=dev", "RUN npm ci && npm run build")
    _kept(_tune(tmp_path, text, NODE_FILES), text, "`npm run build` in the install RUN may need the sources")


def test_install_not_in_the_copied_folder(tmp_path: Path) -> None:
    text = "FROM node:20\nCOPY . /usr/src/app\nRUN npm install\n"
    _kept(_tune(tmp_path, text, NODE_FILES), text, "runs in /, not in the copied folder /usr/src/app")


def test_run_between_copy_and_install(tmp_path: Path) -> None:
    text = NODE.replace("ENV NODE_ENV=production\n", "RUN ./prepare.sh\n")
    _kept(_tune(tmp_path, text, NODE_FILES), text, "RUN on line 4, between them, may need the sources")


def test_workdir_and_env_between_still_apply_to_the_install(tmp_path: Path) -> None:
    text = "FROM node:20\nCOPY . /usr/src/app\nWORKDIR /usr/src/app\nARG OMIT=dev\nRUN npm ci --omit=$OMIT\n"
    result = _tune(tmp_path, text, NODE_FILES)
    assert result.text == ("FROM node:20\nCOPY package.json package-lock.json /usr/src/app/\nWORKDIR /usr/src/app\n"
                           "ARG OMIT=dev\nRUN npm ci --omit=$OMIT\nCOPY . /usr/src/app\n")


def _text(result: object, kind: str) -> tuple[str, object]:
    from codi.service.run import RunResult

    assert isinstance(result, RunResult) and result.run_dir is not None
    cand = next(c for c in result.record.candidates if c.kind == kind)
    return (result.run_dir / cand.path).read_text(), cand


def test_reordered_candidate_passes_the_checks_and_resolves_cd201(tmp_path: Path) -> None:
    project = tmp_path / "py"
    _write(project, {"requirements.txt": "flask==3.0.0\n", "app.py": "",
                     "Dockerfile": "FROM python:3.12\nWORKDIR /app\nCOPY . .\nRUN pip install -r requirements.txt\n"
                                   "CMD [\"python\", \"app.py\"]\n"})
    result = run_project(project, RunOptions(llm=False, rag=False, out=tmp_path / "runs", candidate_limit=5))
    text, cand = _text(result, "tuned")
    # the fixes add --no-cache-dir (DL3042), so no cache mount: the reorder is the tuning
    assert "COPY requirements.txt ./\nRUN pip install --no-cache-dir -r requirements.txt\nCOPY . .\n" in text
    assert cand.risk == "medium" and cand.review.ok  # type: ignore[attr-defined]
    assert not any(f.code == "CD201" for f in cand.findings)  # type: ignore[attr-defined]
    assert any(r.startswith("CD201@") for r in cand.resolves)  # type: ignore[attr-defined]
    before = [d.key for d in result.record.contract.dependencies]  # type: ignore[union-attr]
    assert [d.key for d in cand.contract.dependencies] == before and before  # type: ignore[attr-defined]


def test_codi_run_node_demo_installs_from_the_manifests_first(tmp_path: Path) -> None:
    out = tmp_path / "runs"
    result = CliRunner().invoke(app, ["run", str(DEMO / "node"), "--no-llm", "--disable-rag", "--out", str(out)])
    assert result.exit_code == 0, result.output
    run_dir = next(p for p in out.iterdir() if not p.name.startswith("_"))
    record = json.loads((run_dir / "metadata" / "run.json").read_text())
    chosen = record["recommendation"]["candidate_id"]
    for cand in record["candidates"]:
        if cand["id"] != chosen and cand["kind"] != "tuned":
            continue
        lines = (run_dir / cand["path"]).read_text().splitlines()
        manifests = lines.index("COPY package.json package-lock.json /usr/src/app/")
        install = next(i for i, line in enumerate(lines) if "npm install" in line)
        assert manifests < install < lines.index("COPY . /usr/src/app"), cand["id"]


def test_npmrc_naming_a_project_file(tmp_path: Path) -> None:
    _kept(_tune(tmp_path, NODE, {**NODE_FILES, ".npmrc": "cafile=./certs/ca.pem\n"}), NODE,
          ".npmrc names a file or folder of the project")


def test_environment_puts_the_sources_first(tmp_path: Path) -> None:
    text = "FROM python:3.12\nWORKDIR /app\nCOPY . .\nENV PYTHONPATH=/app\nRUN pip install -r requirements.txt\n"
    _kept(_tune(tmp_path, text, {"requirements.txt": "flask\n"}), text, "PYTHONPATH=/app points the install")


def test_why_not_is_a_run_note_when_nothing_else_is_tuned(tmp_path: Path) -> None:
    project = tmp_path / "py"
    _write(project, {"requirements.txt": "-e .\n", "app.py": "",
                     "Dockerfile": "FROM python:3.12-slim\nWORKDIR /app\nCOPY . .\n"
                                   "RUN pip install --no-cache-dir -r requirements.txt\nCMD [\"python\", \"app.py\"]\n"})
    result = run_project(project, RunOptions(llm=False, rag=False, out=tmp_path / "runs", candidate_limit=5))
    assert not any(c.kind == "tuned" for c in result.record.candidates)
    assert any(n.startswith("no tuned candidate: line 3: the whole build context is still copied") and "(-e)" in n
               for n in result.record.notes), result.record.notes


POETRY = ("[tool.poetry]\nname = \"x\"\nversion = \"1\"\n\n[tool.poetry.dependencies]\npython = \"^3.12\"\n"
          "flask = \"3.0.0\"\n")


def test_poetry_without_the_project_reorders(tmp_path: Path) -> None:
    text = ("FROM python:3.12\nWORKDIR /app\nCOPY . .\nRUN pip install poetry==1.8.3 && poetry config "
            "virtualenvs.create false && poetry install --no-root --only main\n")
    result = _tune(tmp_path, text, {"pyproject.toml": POETRY, "poetry.lock": "", ".dockerignore": ".venv\n"})
    assert "WORKDIR /app\nCOPY pyproject.toml poetry.lock ./\nRUN pip install poetry" in result.text
    assert result.text.endswith("--only main\nCOPY . .\n")


@pytest.mark.parametrize(("pyproject", "install", "why"), [
    (POETRY, "poetry install", "add --no-root"),
    (POETRY + "lib = { path = \"./lib\" }\n", "poetry install --no-root", "is a path in the project"),
    ("[project]\nname = \"x\"\nversion = \"1\"\n", "uv sync --frozen", "add --no-install-project"),
    ("[project]\nname = \"x\"\n\n[tool.uv.workspace]\nmembers = [\"p/*\"]\n", "uv sync --no-install-project",
     "uv workspace"),
])
def test_poetry_and_uv_that_need_the_sources(tmp_path: Path, pyproject: str, install: str, why: str) -> None:
    text = f"FROM python:3.12-slim\nWORKDIR /app\nCOPY . .\nRUN {install}\n"
    lock = "poetry.lock" if install.startswith("poetry") else "uv.lock"
    _kept(_tune(tmp_path, text, {"pyproject.toml": pyproject, lock: ""}), text, why)


def test_uv_sync_without_the_project_reorders(tmp_path: Path) -> None:
    text = "FROM python:3.12\nWORKDIR /app\nCOPY . .\nRUN uv sync --frozen --no-install-project\n"
    result = _tune(tmp_path, text, {"pyproject.toml": "[project]\nname = \"x\"\n", "uv.lock": "",
                                    ".python-version": "3.12\n"})
    assert "COPY pyproject.toml uv.lock .python-version ./\nRUN uv sync" in result.text
    assert "no .venv folder now" in result.notes[0]


def test_no_note_where_the_dependencies_were_installed_before_the_copy(tmp_path: Path) -> None:
    text = ("FROM node:20\nWORKDIR /app\nCOPY package.json package-lock.json ./\nRUN npm ci\nCOPY . .\n"
            "RUN npm ci && npm run build\n")
    result = _tune(tmp_path, text, NODE_FILES)
    assert result.text == text and not result.kept
