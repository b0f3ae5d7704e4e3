"""Issue 24 item 5: which groups of a manifest an install installs is part of the dependency contract.

The scope model per tool (one table, the tools' documented defaults), the contract check (a candidate
that drops devDependencies without declaring it is a violation; declared, it is reported as declared),
and a run on a small node project: devDependencies are left out only where CODI establishes that the
command uses none of them, otherwise the candidates install them as the original does.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from codi.artifacts.models import CandidateRecord
from codi.optimise.contract import DeclaredChange, check_contract, compute_contract
from codi.optimise.contract.model import RuntimeContract
from codi.parser import parse
from codi.parser.semantic import build_model
from codi.service.run import RunOptions, run_project

ALL_NPM = ["dev", "optional", "peer", "prod"]
NPM_PROD = ["optional", "peer", "prod"]
ALL_NODE = ["dev", "optional", "prod"]
NODE_PROD = ["optional", "prod"]


def _contract(text: str, project: Path | None = None) -> RuntimeContract:
    df = parse(text, "Dockerfile")
    return compute_contract(df, build_model(df), project=project)


def _scopes(body: str, base: str = "node:20", project: Path | None = None) -> dict[str, list[str]]:
    return {d.key: d.scope for d in _contract(f"FROM {base}\nWORKDIR /app\n{body}\n", project).dependencies}


SCOPES = [
    # npm: every kind by default; NODE_ENV=production makes --omit default to dev; --include wins over --omit
    ("RUN npm ci", "npm: package.json", ALL_NPM),
    ("RUN npm ci --omit=dev", "npm: package.json", NPM_PROD),
    ("RUN npm ci --omit dev", "npm: package.json", NPM_PROD),
    ("RUN npm install --production", "npm: package.json", NPM_PROD),
    ("RUN npm install --only=prod", "npm: package.json", NPM_PROD),
    ("ENV NODE_ENV=production\nRUN npm ci", "npm: package.json", NPM_PROD),
    ("RUN NODE_ENV=production npm ci", "npm: package.json", NPM_PROD),
    ("ARG NODE_ENV=production\nRUN npm ci", "npm: package.json", NPM_PROD),
    ("ENV NPM_CONFIG_PRODUCTION=true\nRUN npm ci", "npm: package.json", NPM_PROD),
    ("ENV NODE_ENV=production\nRUN npm ci --include=dev", "npm: package.json", ALL_NPM),
    ("RUN npm ci --omit=dev --include=dev", "npm: package.json", ALL_NPM),
    ("RUN npm ci --omit=optional --omit=peer", "npm: package.json", ["dev", "prod"]),
    ("ENV NODE_ENV=production\nRUN npm ci --omit=optional", "npm: package.json", ["dev", "peer", "prod"]),
    ("RUN npm ci && npm run build && npm prune --omit=dev", "npm: package.json", NPM_PROD),
    ("RUN npm ci --omit=dev && npm ci", "npm: package.json", ALL_NPM),
    # yarn v1: --production[=true] or NODE_ENV=production leave devDependencies out
    ("RUN yarn install --frozen-lockfile", "yarn: package.json", ALL_NODE),
    ("RUN yarn --production", "yarn: package.json", NODE_PROD),
    ("RUN yarn install --production=true", "yarn: package.json", NODE_PROD),
    ("ENV NODE_ENV=production\nRUN yarn install", "yarn: package.json", NODE_PROD),
    ("ENV NODE_ENV=production\nRUN yarn install --production=false", "yarn: package.json", ALL_NODE),
    ("RUN yarn install --ignore-optional", "yarn: package.json", ["dev", "prod"]),
    ("RUN yarn install && yarn build && yarn install --production", "yarn: package.json", NODE_PROD),
    # pnpm: --prod/-P, --dev/-D, NODE_ENV=production, prune --prod
    ("RUN pnpm install", "pnpm: package.json", ALL_NODE),
    ("RUN pnpm install --prod", "pnpm: package.json", NODE_PROD),
    ("RUN pnpm install -P", "pnpm: package.json", NODE_PROD),
    ("RUN pnpm install -D", "pnpm: package.json", ["dev"]),
    ("RUN pnpm install --no-optional", "pnpm: package.json", ["dev", "prod"]),
    ("ENV NODE_ENV=production\nRUN pnpm install", "pnpm: package.json", NODE_PROD),
    ("RUN pnpm install && pnpm build && pnpm prune --prod", "pnpm: package.json", NODE_PROD),
    # poetry (no pyproject.toml here: its usual non-optional dev group)
    ("RUN poetry install", "poetry: poetry.lock", ["group:dev", "group:main"]),
    ("RUN poetry install --only main", "poetry: poetry.lock", ["group:main"]),
    ("RUN poetry install --without dev", "poetry: poetry.lock", ["group:main"]),
    ("RUN poetry install --no-dev", "poetry: poetry.lock", ["group:main"]),
    ("RUN poetry install --with docs", "poetry: poetry.lock", ["group:dev", "group:docs", "group:main"]),
    ("RUN poetry install --only main,docs", "poetry: poetry.lock", ["group:docs", "group:main"]),
    ("RUN poetry install --only main --all-extras", "poetry: poetry.lock", ["extras:all", "group:main"]),
    ("RUN poetry install --only main -E pg --extras 'redis s3'", "poetry: poetry.lock",
     ["extra:pg", "extra:redis", "extra:s3", "group:main"]),
    # uv sync: the project and the dev group by default
    ("RUN uv sync --frozen", "uv: uv.lock", ["group:dev", "project"]),
    ("RUN uv sync --frozen --no-dev", "uv: uv.lock", ["project"]),
    ("ENV UV_NO_DEV=1\nRUN uv sync", "uv: uv.lock", ["project"]),
    ("RUN uv sync --only-dev", "uv: uv.lock", ["group:dev"]),
    ("ENV UV_DEV=1\nRUN uv sync --no-default-groups", "uv: uv.lock", ["group:dev", "project"]),
    ("RUN uv sync --group dev --no-dev", "uv: uv.lock", ["project"]),
    ("RUN uv sync --group lint", "uv: uv.lock", ["group:dev", "group:lint", "project"]),
    ("RUN uv sync --no-group dev", "uv: uv.lock", ["project"]),
    ("RUN uv sync --no-default-groups --group prod", "uv: uv.lock", ["group:prod", "project"]),
    ("RUN uv sync --no-dev --extra pg", "uv: uv.lock", ["extra:pg", "project"]),
    ("RUN uv sync --no-dev --all-extras", "uv: uv.lock", ["extras:all", "project"]),
    # pipenv: [packages], and [dev-packages] with --dev
    ("RUN pipenv install --deploy --system", "pipenv: Pipfile.lock", ["category:packages"]),
    ("RUN pipenv install --dev", "pipenv: Pipfile.lock", ["category:dev-packages", "category:packages"]),
    # pip: a local install's extras; an inline spec's extras are part of the spec itself
    ("RUN pip install '.[pg,Redis]'", "pip: project", ["extra:pg", "extra:redis"]),
    ("RUN pip install -e '.[dev]'", "pip: project", ["extra:dev"]),
    ("RUN pip install .", "pip: project", []),
    ('RUN pip install "fastapi[all]==0.115.0"', "pip: fastapi[all]==0.115.0", []),
]


@pytest.mark.parametrize(("body", "key", "scope"), SCOPES, ids=[b for b, _, _ in SCOPES])
def test_scope_of_each_install(body: str, key: str, scope: list[str]) -> None:
    assert _scopes(body).get(key) == scope


def test_groups_come_from_pyproject(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x"\n[project.optional-dependencies]\npg = ["psycopg"]\n'
        '[dependency-groups]\ndev = ["pytest"]\nlint = ["ruff"]\ndocs = ["mkdocs"]\n'
        '[tool.uv]\ndefault-groups = ["dev", "lint"]\n'
        '[tool.poetry.group.test.dependencies]\npytest = "*"\n'
        '[tool.poetry.group.docs]\noptional = true\n[tool.poetry.group.docs.dependencies]\nmkdocs = "*"\n')
    assert _scopes("RUN uv sync", project=tmp_path) == {"uv: uv.lock": ["group:dev", "group:lint", "project"]}
    assert _scopes("RUN uv sync --all-groups --all-extras", project=tmp_path)["uv: uv.lock"] == [
        "extra:pg", "group:dev", "group:docs", "group:lint", "project"]
    assert _scopes("RUN poetry install", project=tmp_path) == {"poetry: poetry.lock": ["group:main", "group:test"]}
    assert _scopes("RUN poetry install --with docs --without test", project=tmp_path)["poetry: poetry.lock"] == [
        "group:docs", "group:main"]


def test_what_the_image_ships_decides_the_scope() -> None:
    # Pruned in a build stage the image copies: production only.
    assert _scopes("COPY . .\nRUN npm ci && npm run build && npm prune --production\n"
                   "FROM node:20-slim\nCOPY --from=0 /app /app", base="node:20 AS build") == \
        {"npm: package.json": NPM_PROD}
    # The image's own install wins over the build stage's full one.
    assert _scopes("COPY . .\nRUN npm ci && npm run build\nFROM node:20-slim\nWORKDIR /app\n"
                   "COPY package*.json ./\nRUN npm ci --omit=dev\nCOPY --from=build /app/dist dist",
                   base="node:20 AS build") == {"npm: package.json": NPM_PROD}


def test_dropping_dev_dependencies_is_a_violation_unless_declared() -> None:
    full = _contract('FROM node:20\nWORKDIR /app\nCOPY . .\nRUN npm ci\nCMD ["node", "server.js"]\n')
    prod = _contract('FROM node:20\nWORKDIR /app\nCOPY . .\nRUN npm ci --omit=dev\nCMD ["node", "server.js"]\n')
    check = check_contract(full, prod, [])
    assert [(v.field, v.key, v.message) for v in check.violations] == [(
        "dependency_scope", "npm: package.json",
        "the original installs dependencies, devDependencies, optionalDependencies and peerDependencies of npm "
        "from `package.json` (line 4); the candidate leaves out devDependencies")]
    assert not check_contract(prod, full, []).ok  # adding them back is a change too
    # A declared dependency-source change does not cover a scope change, nor the reverse.
    assert not check_contract(full, prod, [DeclaredChange(field="dependencies", reason="x")]).ok
    declared = check_contract(full, prod, [DeclaredChange(field="dependency_scope", key="npm: package.json",
                                                          reason="devDependencies are not installed", risk="medium")])
    assert declared.ok
    assert [(c.field, c.before, c.after, c.reason, c.risk) for c in declared.intended] == [(
        "dependency_scope", "dependencies, devDependencies, optionalDependencies and peerDependencies",
        "dependencies, optionalDependencies and peerDependencies", "devDependencies are not installed", "medium")]
    poetry = _contract("FROM python:3.12\nRUN poetry install\n")
    main_only = _contract("FROM python:3.12\nRUN poetry install --only main\n")
    assert [v.field for v in check_contract(poetry, main_only, []).violations] == ["dependency_scope"]


def _node_project(root: Path, server: str, files: dict[str, str] | None = None) -> Path:
    root.mkdir()
    (root / "package.json").write_text(json.dumps({
        "name": "app", "version": "1.0.0", "scripts": {"start": "node server.js", "test": "jest"},
        "dependencies": {"express": "4.21.1"},
        "devDependencies": {"jest": "29.7.0", "nodemon": "3.1.7", "dotenv": "16.4.5"}}))
    (root / "package-lock.json").write_text(json.dumps({"name": "app", "lockfileVersion": 3, "packages": {}}))
    (root / "server.js").write_text(server)
    for name, text in (files or {}).items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    (root / "Dockerfile").write_text(
        "FROM node:20\nWORKDIR /app\nCOPY package.json package-lock.json ./\nRUN npm ci\nCOPY . .\n"
        'EXPOSE 3000\nCMD ["node", "server.js"]\n')
    return root


def test_run_leaves_dev_dependencies_out_only_with_the_evidence(tmp_path: Path) -> None:
    project = _node_project(tmp_path / "app", "const express = require('express');\n"
                                              "const routes = require('./lib/routes');\nexpress().listen(3000);\n",
                            {"lib/routes.js": "import { Router } from 'express';\nexport default Router();\n"})
    result = run_project(project, RunOptions(llm=False, rag=False, out=tmp_path / "runs"))
    assert result.run_dir is not None
    multi = next(c for c in result.record.candidates if c.rule_id == "node-multistage")
    text = (result.run_dir / multi.path).read_text()
    assert "npm ci --omit=dev\n" in text
    scope = [c for c in multi.contract_changes if c.field == "dependency_scope"]
    assert [(c.key, c.risk, c.reason) for c in scope] == [(
        "npm: package.json", "medium",
        "devDependencies are not installed; the command `node server.js` uses none of them: `server.js` and the "
        "1 file(s) it loads import none of them")]
    assert multi.risk == "medium"
    report = (result.run_dir / "reports" / "report.md").read_text()
    assert "devDependencies are not installed; the command `node server.js` uses none of them" in report


def test_run_keeps_dev_dependencies_the_command_may_use(tmp_path: Path) -> None:
    project = _node_project(tmp_path / "app", "require('./config');\nrequire('express')().listen(3000);\n",
                            {"config.js": "require('dotenv').config();\n"})
    result = run_project(project, RunOptions(llm=False, rag=False, out=tmp_path / "runs"))
    assert result.run_dir is not None
    multi = next(c for c in result.record.candidates if c.rule_id == "node-multistage")
    text = (result.run_dir / multi.path).read_text()
    assert "npm ci\n" in text and "--omit=dev" not in text
    assert not [c for c in multi.contract_changes if c.field == "dependency_scope"]
    assert [d.scope for d in multi.contract.dependencies] == [ALL_NPM]
    assert any("CODI cannot establish that the command uses none of them (`config.js` loads `dotenv`, a "
               "devDependency)" in n for n in multi.notes)


@pytest.mark.parametrize(("install", "rule", "expected"), [
    ("pip install poetry==1.8.3 && poetry install", "python-poetry-multistage", "poetry install --no-root --no-interaction"),
    ("pip install poetry==1.8.3 && poetry install --without dev", "python-poetry-multistage",
     "poetry install --only main --no-root --no-interaction"),
    ("pip install poetry==1.8.3 && poetry install --with docs", "python-poetry-multistage",
     "poetry install --only dev,docs,main --no-root --no-interaction"),
    ("pip install uv==0.4.20 && uv sync --frozen", "python-uv-multistage", "uv sync --frozen --no-install-project"),
    ("pip install uv==0.4.20 && uv sync --frozen --no-dev --extra pg", "python-uv-multistage",
     "uv sync --frozen --no-dev --extra pg --no-install-project"),
])
def test_python_templates_install_the_originals_groups(tmp_path: Path, install: str, rule: str,
                                                       expected: str) -> None:
    project = tmp_path / "py"
    project.mkdir()
    tool = "poetry" if "poetry" in rule else "uv"
    (project / "pyproject.toml").write_text(
        '[project]\nname = "app"\nversion = "1.0"\ndependencies = ["flask==3.0.3"]\n'
        '[project.optional-dependencies]\npg = ["psycopg==3.2.3"]\n'
        '[dependency-groups]\ndev = ["pytest==8.3.3"]\n'
        '[tool.poetry]\nname = "app"\nversion = "1.0"\n[tool.poetry.dependencies]\npython = "^3.12"\n'
        '[tool.poetry.group.dev.dependencies]\npytest = "8.3.3"\n'
        '[tool.poetry.group.docs]\noptional = true\n[tool.poetry.group.docs.dependencies]\nmkdocs = "1.6.1"\n'
        if tool == "poetry" else
        '[project]\nname = "app"\nversion = "1.0"\ndependencies = ["flask==3.0.3"]\n'
        '[project.optional-dependencies]\npg = ["psycopg==3.2.3"]\n[dependency-groups]\ndev = ["pytest==8.3.3"]\n')
    (project / ("poetry.lock" if tool == "poetry" else "uv.lock")).write_text("# lock\n")
    (project / "app.py").write_text("")
    (project / "Dockerfile").write_text(
        f"FROM python:3.12\nWORKDIR /app\nCOPY . .\nRUN {install}\nCMD [\"python\", \"app.py\"]\n")
    candidate, text = _offered(project, tmp_path / "runs", rule)
    assert expected + "\n" in text
    assert not [c for c in candidate.contract_changes if c.field.startswith("dependenc")]


def _offered(project: Path, out: Path, rule: str) -> tuple[CandidateRecord, str]:
    """Run CODI on ``project``: the candidate of catalog rule ``rule`` (it must be offered) and its text."""
    result = run_project(project, RunOptions(llm=False, rag=False, out=out))
    assert result.run_dir is not None
    offered = {c.rule_id: c for c in result.record.candidates}
    assert rule in offered, [r.reason for r in result.record.rejected]
    return offered[rule], (result.run_dir / offered[rule].path).read_text()


@pytest.mark.parametrize("pm", ["npm", "yarn"])
def test_a_built_app_keeps_its_dev_dependencies(tmp_path: Path, pm: str) -> None:
    """`node dist/index.js`: the file is built in the image, so nothing shows it needs no devDependency."""
    root = tmp_path / "app"
    root.mkdir()
    (root / "package.json").write_text(json.dumps({
        "name": "app", "version": "1.0.0", "scripts": {"build": "tsc"},
        "dependencies": {"express": "4.21.1"}, "devDependencies": {"typescript": "5.6.3"}}))
    lock = "package-lock.json" if pm == "npm" else "yarn.lock"
    (root / lock).write_text("{}" if pm == "npm" else "# yarn lockfile v1\n")
    (root / "src").mkdir()
    (root / "src" / "index.ts").write_text("import express from 'express';\n")
    install = "npm ci" if pm == "npm" else "yarn install --frozen-lockfile"
    (root / "Dockerfile").write_text(f"FROM node:20\nWORKDIR /app\nCOPY . .\nRUN {install}\nRUN {pm} run build\n"
                                     'CMD ["node", "dist/index.js"]\n')
    result = run_project(root, RunOptions(llm=False, rag=False, out=tmp_path / "runs"))
    assert result.run_dir is not None
    multi = next(c for c in result.record.candidates if c.rule_id == "node-multistage")
    text = (result.run_dir / multi.path).read_text()
    assert "prune" not in text and "--production" not in text and "--omit" not in text, text
    assert f"RUN {pm} run build\n" in text
    assert any("(`dist/index.js` is not in the build context (built in the image, or missing))" in n
               for n in multi.notes)


def test_an_install_whose_node_modules_the_image_does_not_copy_has_no_scope_to_keep() -> None:
    """etherpad: a stage builds admin assets with `pnpm install` (dev included); the image copies only the
    built files, so what that install's scope was does not decide what the image ships."""
    assets = ("FROM node:20 AS assets\nWORKDIR /src\nCOPY . .\nRUN pnpm install\nRUN pnpm run build:ui\n"
              "FROM node:20\nWORKDIR /app\n{copy}\nCMD [\"node\", \"server.js\"]\n")
    only_built = _contract(assets.format(copy="COPY --from=assets /src/dist ./dist"))
    assert [(d.key, d.shipped) for d in only_built.dependencies] == [("pnpm: package.json", False)]
    whole = _contract(assets.format(copy="COPY --from=assets /src ."))
    assert [(d.key, d.shipped) for d in whole.dependencies] == [("pnpm: package.json", True)]
    prod = _contract("FROM node:20 AS deps\nWORKDIR /app\nRUN pnpm install --prod\n"
                     "FROM node:20\nWORKDIR /app\nCOPY --from=deps /app/node_modules ./node_modules\n"
                     'CMD ["node", "server.js"]\n')
    def deps(before: RuntimeContract) -> list[str]:
        return [v.field for v in check_contract(before, prod, []).violations if v.field.startswith("dependenc")]

    assert deps(only_built) == []
    assert deps(whole) == ["dependency_scope"]


def test_poetry_template_installs_the_project_itself_only_where_the_original_does(tmp_path: Path) -> None:
    """Regression: `poetry install --no-root` in the original got a candidate that ran `poetry install` again
    after copying the sources (the project installed too, and every source edit re-ran poetry)."""
    texts = {}
    for name, flags, cmd in (("noroot", " --no-root", '["python", "app.py"]'), ("root", "", '["python", "app.py"]'),
                             ("run", "", "poetry run python app.py")):
        project = tmp_path / name
        project.mkdir()
        (project / "pyproject.toml").write_text(
            '[tool.poetry]\nname = "app"\nversion = "1.0"\n[tool.poetry.dependencies]\npython = "^3.11"\n'
            'flask = "3.0.3"\n')
        (project / "poetry.lock").write_text("# lock\n")
        (project / "app.py").write_text("")
        (project / "Dockerfile").write_text(
            "FROM python:3.11\nRUN pip install poetry==1.8.4\nWORKDIR /code\nCOPY poetry.lock pyproject.toml /code/\n"
            f"RUN poetry config virtualenvs.create false && poetry install --only main{flags}\nCOPY . /code\n"
            f"CMD {cmd}\n")
        texts[name] = _offered(project, tmp_path / f"runs-{name}", "python-poetry-multistage")[1]
    assert "--no-root --no-interaction\nCOPY . .\n\nFROM" in texts["noroot"]
    assert "COPY . .\nRUN poetry install --only main --no-interaction\n" in texts["root"]
    # Poetry has a virtualenv of its own; the runtime gets it only where the command runs poetry.
    assert all("/opt/poetry/bin/pip install poetry==1.8.4" in text for text in texts.values())
    assert "COPY --from=build /opt/poetry /opt/poetry\n" in texts["run"]
    assert "/opt/poetry" not in texts["root"].split("\nFROM ", 2)[-1]


def _uv_project(tmp_path: Path, dockerfile: str) -> Path:
    """A uv project (pyproject.toml naming flask, uv.lock, app.py) built by ``dockerfile``."""
    project = tmp_path / "uv"
    project.mkdir()
    (project / "pyproject.toml").write_text('[project]\nname = "app"\nversion = "1.0"\ndependencies = ["flask==3.0.3"]\n')
    (project / "uv.lock").write_text("# lock\n")
    (project / "app.py").write_text("")
    (project / "Dockerfile").write_text(dockerfile)
    return project


def test_uv_template_installs_the_project_only_where_the_original_does(tmp_path: Path) -> None:
    """Regression: `uv sync --no-install-project` in the original got a candidate that synced again after the
    source copy and copied the whole folder, virtualenv and sources, from the build stage on every edit."""
    project = _uv_project(tmp_path, "FROM python:3.12-slim\nRUN pip install uv==0.5.11\nWORKDIR /app\n"
                                    "COPY pyproject.toml uv.lock ./\nRUN uv sync --frozen --no-dev --no-install-project\n"
                                    "COPY . .\nCMD [\"python\", \"app.py\"]\n")
    candidate, text = _offered(project, tmp_path / "runs", "python-uv-multistage")
    assert text.count("uv sync") == 1 and "--no-install-project\n\nFROM" in text
    runtime = text.split("\nFROM ", 2)[-1]
    assert "COPY --from=build --chown=app:app /app/.venv /app/.venv\n" in runtime
    assert runtime.rstrip().endswith('CMD ["python", "app.py"]\nCOPY pyproject.toml uv.lock ./\nCOPY . .\nUSER 10001:10001')
    assert not [c for c in candidate.contract_changes if c.field.startswith("dependenc")]


@pytest.mark.parametrize("cmd", ['["gunicorn", "app:app"]', '["uv", "run", "--no-sync", "gunicorn", "app:app"]'])
def test_uv_template_takes_uv_from_the_image_the_original_copies_it_from(tmp_path: Path, cmd: str) -> None:
    """Regression: an original with uv's documented `COPY --from=ghcr.io/astral-sh/uv:0.5.11 /uv /uvx /bin/` got
    a candidate that installed uv with pip, unpinned (the review refused it: DL3013). Now the same copy, and
    in the runtime stage too where the command runs uv."""
    copy = "COPY --from=ghcr.io/astral-sh/uv:0.5.11@sha256:0123 /uv /uvx /bin/"
    project = _uv_project(tmp_path, f"FROM python:3.12-slim\n{copy}\nWORKDIR /app\nCOPY pyproject.toml uv.lock ./\n"
                                    f"RUN uv sync --frozen --no-dev --no-install-project\nCOPY . .\nCMD {cmd}\n")
    candidate, text = _offered(project, tmp_path / "runs", "python-uv-multistage")
    build, runtime = text.split("\nFROM ", 2)[1:]
    assert f"\n{copy}\n" in build and "pip install" not in text
    assert (f"\n{copy}\n" in runtime) == ("uv" in cmd.split(",")[0])
    assert not [c for c in candidate.contract_changes if c.field.startswith("dependenc")]
