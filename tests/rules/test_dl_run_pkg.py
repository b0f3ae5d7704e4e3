"""apk, pip, npm, yarn, gem and go rules: DL3013, DL3016, DL3018, DL3019, DL3028, DL3042, DL3060, DL3062."""

from __future__ import annotations

import pytest
from rulekit import lines, run_rule

from codi.rules.base import Applicability


def apply_fix(code: str, text: str) -> str:
    edits = [e for f in run_rule(code, text) if f.fix for e in f.fix.edits]
    for e in sorted(edits, key=lambda e: -e.start):
        text = text[: e.start] + e.replacement + text[e.end :]
    return text


# --- apk -----------------------------------------------------------------------------------


def test_dl3018_unpinned_apk_package() -> None:
    text = "FROM alpine:3.20\nRUN apk add --no-cache curl=8.9 bash\n"
    found = run_rule("DL3018", text)
    assert [f.line for f in found] == [2] and "bash" in found[0].message and "curl" not in found[0].message


@pytest.mark.parametrize(
    "cmd",
    [
        "apk add --no-cache curl=8.9-r0",
        "apk add --no-cache curl~8.9",
        "apk add --no-cache --virtual .build-deps gcc=13.2",
        "apk add --no-cache -t .deps gcc=13.2",
        "apk add --no-cache ./local.apk",
        "apk del curl",
        "apk add --no-cache 'curl>=8'",
    ],
)
def test_dl3018_near_misses(cmd: str) -> None:
    assert lines("DL3018", f"FROM alpine:3.20\nRUN {cmd}\n") == []


def test_dl3018_redirect_is_not_a_version() -> None:
    # unquoted, `>1` is a shell redirection: the package is unpinned
    assert lines("DL3018", "FROM alpine:3.20\nRUN apk add --no-cache curl>1\n") == [2]


def test_dl3019_missing_no_cache_with_safe_fix() -> None:
    text = "FROM alpine:3.20\nRUN apk update && apk add curl=8.9\n"
    found = run_rule("DL3019", text)
    assert [f.line for f in found] == [2]
    assert found[0].fix is not None and found[0].fix.applicability is Applicability.SAFE
    assert apply_fix("DL3019", text) == "FROM alpine:3.20\nRUN apk update && apk add --no-cache curl=8.9\n"


def test_dl3019_no_cache_or_cache_mount_is_fine() -> None:
    text = (
        "FROM alpine:3.20\nRUN apk --no-cache add curl=8.9\n"
        "RUN --mount=type=cache,target=/var/cache/apk apk add git=2.45\n"
    )
    assert lines("DL3019", text) == []


# --- pip -----------------------------------------------------------------------------------


def test_dl3013_unpinned_pip_packages() -> None:
    text = "FROM python:3.12\nRUN pip install --no-cache-dir flask requests==2.32\nRUN python3 -m pip install django\n"
    assert lines("DL3013", text) == [2, 3]


@pytest.mark.parametrize(
    "spec",
    [
        "flask==3.0.3",
        "'flask>=3'",
        "flask~=3.0",
        "-r requirements.txt",
        "--requirement=req.txt",
        ".",
        "-e .",
        "./dist/app-1.0-py3-none-any.whl",
        "git+https://github.com/x/y.git@v1.2",
        "https://example.com/app-1.0.tar.gz",
        "-c constraints.txt -r req.txt",
    ],
)
def test_dl3013_near_misses(spec: str) -> None:
    assert lines("DL3013", f"FROM python:3.12\nRUN pip install --no-cache-dir {spec}\n") == []


def test_dl3013_vcs_without_ref_is_unpinned() -> None:
    assert lines("DL3013", "FROM python:3.12\nRUN pip install git+ssh://git@github.com/x/y.git\n") == [2]


def test_dl3013_arg_values() -> None:
    assert lines("DL3013", "FROM python:3.12\nARG FLASK=flask==3.0\nRUN pip install $FLASK\n") == []
    assert lines("DL3013", "FROM python:3.12\nARG FLASK=flask\nRUN pip install $FLASK\n") == [3]
    assert lines("DL3013", "FROM python:3.12\nARG FLASK\nRUN pip install $FLASK\n") == []


def test_dl3042_pip_cache_with_fix() -> None:
    text = "FROM python:3.12\nRUN pip3 install -r requirements.txt\n"
    assert lines("DL3042", text) == [2]
    assert (
        apply_fix("DL3042", text) == "FROM python:3.12\nRUN pip3 install --no-cache-dir -r requirements.txt\n"
    )


@pytest.mark.parametrize(
    "text",
    [
        "FROM python:3.12\nRUN pip install --no-cache-dir -r r.txt\n",
        "FROM python:3.12\nENV PIP_NO_CACHE_DIR=1\nRUN pip install -r r.txt\n",
        "FROM python:3.12\nRUN PIP_NO_CACHE_DIR=1 pip install -r r.txt\n",
        "FROM python:3.12\nRUN --mount=type=cache,target=/root/.cache/pip pip install -r r.txt\n",
        "FROM python:3.12\nRUN pip download -r r.txt\n",
        "FROM python:3.12 AS build\nRUN pip install -r r.txt\nFROM python:3.12-slim\nCOPY --from=build /x /x\n",
    ],
)
def test_dl3042_near_misses(text: str) -> None:
    assert lines("DL3042", text) == []


def test_dl3042_env_does_not_leak_into_an_unrelated_stage() -> None:
    text = "FROM python:3.12 AS a\nENV PIP_NO_CACHE_DIR=1\nFROM python:3.12\nRUN pip install -r r.txt\n"
    assert lines("DL3042", text) == [4]


# --- npm / yarn ----------------------------------------------------------------------------


def test_dl3016_unpinned_npm_packages() -> None:
    text = "FROM node:20\nRUN npm install -g typescript@5.4 eslint\nRUN npm i express\nRUN npm install left-pad@latest\n"
    assert lines("DL3016", text) == [2, 3, 4]


@pytest.mark.parametrize(
    "cmd",
    [
        "npm install",
        "npm ci",
        "npm install @scope/pkg@1.2.3",
        "npm install --loglevel verbose express@4",
        "npm install ./local-dir",
        "npm install git+https://github.com/x/y.git#v1.0",
        "npm install https://example.com/pkg-1.0.tgz",
        "npm run build",
    ],
)
def test_dl3016_near_misses(cmd: str) -> None:
    assert lines("DL3016", f"FROM node:20\nRUN {cmd}\n") == []


def test_dl3016_scoped_package_without_version() -> None:
    assert lines("DL3016", "FROM node:20\nRUN npm install @scope/pkg\n") == [2]


def test_dl3060_yarn_cache_with_fix() -> None:
    text = "FROM node:20\nRUN yarn install --frozen-lockfile\nRUN yarn\nRUN yarn global add serve@14\n"
    assert lines("DL3060", text) == [2, 3, 4]
    assert "RUN yarn install --frozen-lockfile && yarn cache clean\n" in apply_fix("DL3060", text)


@pytest.mark.parametrize(
    "run",
    [
        "yarn install && yarn cache clean",
        "yarn install && rm -rf /usr/local/share/.cache/yarn",
        "--mount=type=cache,target=/usr/local/share/.cache/yarn yarn install",
        "yarn build",
        "yarn --version",
    ],
)
def test_dl3060_near_misses(run: str) -> None:
    assert lines("DL3060", f"FROM node:20\nRUN {run}\n") == []


def test_dl3060_clean_before_install_does_not_count() -> None:
    assert lines("DL3060", "FROM node:20\nRUN yarn cache clean && yarn install\n") == [2]


# --- gem / go ------------------------------------------------------------------------------


def test_dl3028_unpinned_gem() -> None:
    text = "FROM ruby:3.3\nRUN gem install bundler:2.5.9 rails\nRUN gem install -N rake\n"
    assert lines("DL3028", text) == [2, 3]


@pytest.mark.parametrize(
    "cmd",
    [
        "gem install rails:7.1",
        "gem install rails -v 7.1",
        "gem install rails --version=7.1",
        "gem install ./x.gem",
    ],
)
def test_dl3028_near_misses(cmd: str) -> None:
    assert lines("DL3028", f"FROM ruby:3.3\nRUN {cmd}\n") == []


def test_dl3062_unpinned_go_install() -> None:
    text = "FROM golang:1.22\nRUN go install golang.org/x/tools/gopls@latest\nRUN go get example.com/mod\n"
    assert lines("DL3062", text) == [2, 3]


@pytest.mark.parametrize(
    "cmd",
    ["go install golang.org/x/tools/gopls@v0.15.3", "go install ./...", "go install", "go build -o /app ."],
)
def test_dl3062_near_misses(cmd: str) -> None:
    assert lines("DL3062", f"FROM golang:1.22\nRUN {cmd}\n") == []
