"""The review check (codi.optimise.review): each property on small originals and candidates, both ways."""

from __future__ import annotations

from pathlib import Path

import pytest

from codi.imagedb.tags import parse_ref, precision_lost, same_image
from codi.optimise.contract.model import RuntimeContract
from codi.optimise.polish import drop_repeated_env, keep_base_precision
from codi.optimise.review import DeclaredBaseChange, Reviewed, review
from codi.optimise.review.pins import pins_of
from codi.parser import parse
from codi.parser.semantic import build_model


def _reviewed(text: str, findings: list[tuple[str, int]] | None = None, contract: RuntimeContract | None = None,
              project: Path | None = None, declared: list[DeclaredBaseChange] | None = None) -> Reviewed:
    model = build_model(parse(text, "Dockerfile"))
    return Reviewed(model, model.final_stage, findings or [], contract or RuntimeContract(), project,
                    declared or [])


def _problems(before: str, after: str, prop: str, **kw: object) -> list[str]:
    original = _reviewed(before)
    candidate = _reviewed(after, **kw)  # type: ignore[arg-type]
    return [p.message for p in review(original, candidate).problems if p.property == prop]


# --- pins ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("run", "loose"), [
    ("pip install poetry==1.1", "pip install poetry"),
    ("python -m pip install 'uvicorn[standard]==0.20.0'", "python -m pip install 'uvicorn[standard]'"),
    ("apt-get update && apt-get install -y --no-install-recommends curl=7.88.1-10",
     "apt-get update && apt-get install -y --no-install-recommends curl"),
    ("apk add --no-cache libpq=16.3-r0", "apk add --no-cache libpq"),
    ("npm install -g pnpm@8.15.0", "npm install -g pnpm"),
    ("yarn global add serve@14.2.1", "yarn global add serve@14"),
    ("corepack prepare pnpm@9.1.0 --activate", "corepack enable pnpm"),
    ("gem install bundler -v 2.4.22", "gem install bundler"),
    ("gem install bundler --version \"4.0.18\"", "gem install bundler --version 4.0"),
    ("composer require monolog/monolog:3.5.0", "composer require monolog/monolog"),
    ("go install github.com/go-delve/delve/cmd/dlv@v1.22.0", "go install github.com/go-delve/delve/cmd/dlv@latest"),
    ("cargo install cargo-chef --version 0.1.62 --locked", "cargo install cargo-chef --locked"),
])
def test_a_pin_the_candidate_loosens_is_a_problem(run: str, loose: str) -> None:
    before = f"FROM debian:12\nRUN {run}\n"
    assert pins_of(build_model(parse(before, "x"))), run
    assert _problems(before, before, "pins") == []
    assert _problems(before, f"FROM debian:12\nRUN {loose}\n", "pins"), loose


def test_pins_compare_expanded_values_and_any_stage() -> None:
    before = "FROM python:3.12\nARG POETRY=1.8.2\nRUN pip install poetry==$POETRY\n"
    after = "FROM python:3.12 AS build\nRUN pip install poetry==1.8.2\nFROM python:3.12-slim\n"
    assert _problems(before, after, "pins") == []
    changed = after.replace("1.8.2", "1.8.3")
    assert "is pinned `poetry==1.8.3`" in _problems(before, changed, "pins")[0]


def test_an_apt_option_value_is_not_a_pin() -> None:
    before = "FROM debian:12\nRUN apt-get -o Dpkg::Options::=--force-confold install -y curl\n"
    assert pins_of(build_model(parse(before, "x"))) == []


# --- base tags ----------------------------------------------------------------------------------------

@pytest.mark.parametrize(("before", "after"), [
    ("python:3.9.10-slim", "python:3.9-slim"),
    ("ruby:3.4.6-slim-bookworm", "ruby:3.4-slim"),
    ("ruby:3.4.6-slim-bookworm", "ruby:3.4"),
    ("node:20.11.1-bookworm-slim", "node:20.11.1-slim"),
    ("node:20@sha256:" + "a" * 64, "node:20"),
    ("python:3.12", "python:3.12-slim"),  # a variant change is fine only when declared
])
def test_a_base_that_loses_precision_is_a_problem(before: str, after: str) -> None:
    assert _problems(f"FROM {before}\n", f"FROM {after}\n", "base_tag")
    assert _problems(f"FROM {before}\n", f"FROM {before}\n", "base_tag") == []


def test_a_declared_variant_change_passes_but_a_loosened_version_never_does() -> None:
    slim = [DeclaredBaseChange(before="python:3.12.1", after="python:3.12.1-slim", reason="slim")]
    assert _problems("FROM python:3.12.1\n", "FROM python:3.12.1-slim\n", "base_tag", declared=slim) == []
    loose = [DeclaredBaseChange(before="python:3.12.1", after="python:3.12-slim", reason="slim")]
    assert _problems("FROM python:3.12.1\n", "FROM python:3.12-slim\n", "base_tag", declared=loose)


def test_same_image_keeps_version_release_and_digest() -> None:
    assert same_image(parse_ref("python:3.9.10"), ("slim",)) == "python:3.9.10-slim"
    assert same_image(parse_ref("python:3.12.1-bookworm"), ("slim",)) == "python:3.12.1-slim-bookworm"
    assert same_image(parse_ref("node:20.11.1-bookworm"), ("slim",)) == "node:20.11.1-bookworm-slim"
    assert same_image(parse_ref("eclipse-temurin:17.0.9_9-jdk-jammy"), ("jre",)) == "eclipse-temurin:17.0.9_9-jre-jammy"
    pinned = "ruby:4.0.6-slim@sha256:" + "b" * 64
    assert same_image(parse_ref(pinned), ("slim",)) == pinned
    assert same_image(parse_ref("python:3.12.1-alpine3.19"), ("alpine",)) == "python:3.12.1-alpine3.19"
    assert precision_lost(parse_ref("python:3.9.10-slim"), parse_ref("python:3.9-slim")) == \
        ["version 3.9.10 loosened to 3.9"]


def test_polish_gives_a_template_base_the_original_precision_and_declares_the_rest() -> None:
    text = "FROM python:3.9-slim AS build\nRUN true\nFROM python:3.9-slim\nCMD [\"x\"]\n"
    out, declared = keep_base_precision(text, ["python:3.9.10-slim"])
    assert out.count("FROM python:3.9.10-slim") == 2 and declared == []
    out, declared = keep_base_precision("FROM ruby:4.0\n", ["ruby:4.0.6-slim@sha256:" + "c" * 64])
    assert out == "FROM ruby:4.0.6\n"
    assert declared[0].after == "ruby:4.0.6" and "digest" in declared[0].reason


# --- findings per code --------------------------------------------------------------------------------

def test_a_finding_code_the_original_has_less_often_is_a_problem() -> None:
    original = _reviewed("FROM x\n", [("DL3008", 2)])
    assert review(original, _reviewed("FROM x\n", [("DL3008", 3)])).ok
    got = review(original, _reviewed("FROM x\n", [("DL3008", 3), ("DL3059", 4)]))
    assert [p.message.split()[0] for p in got.problems] == ["DL3059"]
    assert not review(original, _reviewed("FROM x\n", [("DL3008", 3), ("DL3008", 5)])).ok


# --- install order ------------------------------------------------------------------------------------

ORIGINAL = "FROM python:3.9\nRUN apt-get update && apt-get install -y netcat\nCOPY . .\nCMD [\"x\"]\n"


def test_an_install_moved_after_a_copy_is_a_problem() -> None:
    moved = "FROM python:3.9\nCOPY --from=build /app /app\nRUN apt-get update && apt-get install -y netcat\n"
    assert "`netcat`" in _problems(ORIGINAL, moved, "install_order")[0]
    kept = "FROM python:3.9\nRUN apt-get update && apt-get install -y netcat\nCOPY --from=build /app /app\n"
    assert _problems(ORIGINAL, kept, "install_order") == []
    again = kept + "RUN apt-get install -y netcat gcc\n"  # early, and again later: still early
    assert _problems(ORIGINAL, again, "install_order") == []


# --- ENV ----------------------------------------------------------------------------------------------

def test_env_set_twice_to_the_same_value_is_a_problem_unless_the_original_does_it() -> None:
    twice = "FROM python:3.9\nENV PYTHONUNBUFFERED=1 PATH=/x:$PATH\nENV PYTHONUNBUFFERED 1\n"
    assert _problems("FROM python:3.9\nENV PYTHONUNBUFFERED 1\n", twice, "env_twice")
    assert _problems(twice, twice, "env_twice") == []
    other = "FROM python:3.9\nENV A=1\nFROM python:3.9\nENV A=1\n"  # another stage
    assert _problems("FROM python:3.9\n", other, "env_twice") == []


def test_polish_drops_the_repeated_env_pair() -> None:
    out = drop_repeated_env("FROM python:3.9\nENV PYTHONUNBUFFERED=1 PATH=/x:$PATH\nENV PYTHONUNBUFFERED=1\nCMD x\n")
    assert out == "FROM python:3.9\nENV PYTHONUNBUFFERED=1 PATH=/x:$PATH\nCMD x\n"
    out = drop_repeated_env("FROM a\nENV A=1\nENV B=2 A=1\n")
    assert out == "FROM a\nENV A=1\nENV B=2\n"


def _node_project(tmp_path: Path, script: str) -> Path:
    import json

    (tmp_path / "package.json").write_text(json.dumps({"scripts": {"dev": script, "start": "node server.js"}}))
    return tmp_path


@pytest.mark.parametrize(("cmd", "script"), [
    (["npm", "run", "dev"], "node --watch server.js"),
    (["npm", "run", "dev"], "nodemon server.js"),
    (["/bin/sh", "-c", "yarn dev"], "next dev"),
    (["uvicorn", "app:app", "--reload"], ""),
])
def test_production_env_beside_a_dev_command_is_a_problem(tmp_path: Path, cmd: list[str], script: str) -> None:
    project = _node_project(tmp_path, script)
    before = _reviewed("FROM node:20\n", contract=RuntimeContract(cmd=cmd, env={"NODE_ENV": "development"}))
    prod = RuntimeContract(cmd=cmd, env={"NODE_ENV": "production"}, entrypoint=["docker-entrypoint.sh"])
    got = review(before, _reviewed("FROM node:20\n", contract=prod, project=project))
    assert [p.property for p in got.problems] == ["dev_command"]
    same = RuntimeContract(cmd=cmd, env={"NODE_ENV": "development"})
    assert review(before, _reviewed("FROM node:20\n", contract=same, project=project)).ok


def test_production_env_beside_a_production_command_passes(tmp_path: Path) -> None:
    project = _node_project(tmp_path, "node --watch server.js")
    before = _reviewed("FROM node:20\n", contract=RuntimeContract(cmd=["npm", "start"]))
    prod = RuntimeContract(cmd=["npm", "start"], env={"NODE_ENV": "production"})
    assert review(before, _reviewed("FROM node:20\n", contract=prod, project=project)).ok


@pytest.mark.parametrize(("env", "ok"), [
    ({}, False),
    ({"VIRTUAL_ENV": "/opt/venv", "PATH": "/opt/venv/bin:/usr/bin"}, True),
    ({"VIRTUAL_ENV": "/opt/venv", "PATH": "/usr/bin"}, False),
    ({"POETRY_VIRTUALENVS_CREATE": "false"}, True),
])
def test_a_venv_tool_command_as_another_user_needs_its_environment(env: dict[str, str | None], ok: bool) -> None:
    cmd = ["/bin/sh", "-c", "poetry run alembic upgrade head && poetry run uvicorn app:app"]
    before = _reviewed("FROM python:3.9\n", contract=RuntimeContract(cmd=cmd))
    after = _reviewed("FROM python:3.9\n", contract=RuntimeContract(cmd=cmd, user="10001:10001", env=env))
    assert review(before, after).ok is ok
    as_before = _reviewed("FROM python:3.9\n", contract=RuntimeContract(cmd=cmd))
    assert review(before, as_before).ok  # the same user and layout: the original's own way of running
