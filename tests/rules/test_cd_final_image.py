"""CD103 (build tools in the final image) and CD104 (dev dependencies in the final image)."""

from __future__ import annotations

from rulekit import lines, make_context, run_rule

from codi.rules.cd.build_tools import BuildToolsInFinalImage
from codi.rules.cd.dev_dependencies import DevDependenciesInFinalImage

APT = "RUN apt-get update && apt-get install -y --no-install-recommends {} && rm -rf /var/lib/apt/lists/*\n"


def test_compilers_and_headers_in_final_stage() -> None:
    text = "FROM python:3.12-slim\n" + APT.format("gcc libpq-dev")
    found = run_rule("CD103", text)
    assert [f.line for f in found] == [2]
    assert "gcc" in found[0].message and "libpq-dev" in found[0].message


def test_runtime_packages_are_fine() -> None:
    assert lines("CD103", "FROM python:3.12-slim\n" + APT.format("libpq5 curl ca-certificates")) == []


def test_build_stage_is_fine() -> None:
    text = (
        "FROM python:3.12-slim AS build\n" + APT.format("gcc libpq-dev")
        + "RUN pip wheel -w /w psycopg2\nFROM python:3.12-slim\nCOPY --from=build /w /w\n"
    )
    assert lines("CD103", text) == []


def test_alpine_virtual_group_removed_in_same_run() -> None:
    ok = "FROM alpine\nRUN apk add --no-cache --virtual .build-deps gcc musl-dev && make && apk del .build-deps\n"
    assert lines("CD103", ok) == []
    bad = "FROM alpine\nRUN apk add --no-cache build-base linux-headers\n"
    assert lines("CD103", bad) == [2]


def test_purged_in_same_run_is_fine_and_later_purge_left_to_cd102() -> None:
    same = "FROM debian\nRUN apt-get update && apt-get install -y gcc && make && apt-get purge -y --auto-remove gcc\n"
    assert lines("CD103", same) == []
    later = "FROM debian\nRUN apt-get update && apt-get install -y gcc\nRUN apt-get purge -y gcc\n"
    assert lines("CD103", later) == []


def test_official_images_apt_mark_idiom_removes_everything_new() -> None:
    text = (
        "FROM debian:bookworm-slim\nRUN savedAptMark=\"$(apt-mark showmanual)\"; apt-get update; "
        "apt-get install -y --no-install-recommends gcc make; make; apt-mark auto '.*' > /dev/null; "
        "apt-mark manual $savedAptMark; apt-get purge -y --auto-remove; rm -rf /var/lib/apt/lists/*\n"
    )
    assert lines("CD103", text) == []


def test_packages_from_arg_are_expanded() -> None:
    text = 'FROM debian\nARG BUILD_DEPS="gcc make"\nRUN apt-get update && apt-get install -y $BUILD_DEPS\n'
    assert lines("CD103", text) == [3]


def test_rpm_devel_and_versioned_compilers() -> None:
    assert lines("CD103", "FROM fedora\nRUN dnf install -y openssl-devel && dnf clean all\n") == [2]
    assert lines("CD103", "FROM debian\nRUN apt-get install -y g++-12\n") == [2]
    assert lines("CD103", "FROM debian\nRUN apt-get install -y devscripts libdevmapper1.02.1\n") == []


def test_npm_ci_without_omit_dev() -> None:
    assert lines("CD104", "FROM node:20-slim\nRUN npm ci\n") == [2]
    assert lines("CD104", "FROM node:20-slim\nRUN npm install\n") == [2]
    assert lines("CD104", "FROM node:20-slim\nRUN npm ci --omit=dev\n") == []
    assert lines("CD104", "FROM node:20-slim\nRUN npm ci --production\n") == []
    assert lines("CD104", "FROM node:20-slim\nENV NODE_ENV=production\nRUN npm ci\n") == []
    assert lines("CD104", "FROM node:20-slim\nRUN NODE_ENV=production npm ci\n") == []


def test_npm_install_of_named_or_global_packages_is_not_a_dependency_install() -> None:
    assert lines("CD104", "FROM node:20-slim\nRUN npm install -g pm2\n") == []
    assert lines("CD104", "FROM node:20-slim\nRUN npm install express\n") == []


def test_builder_stage_may_install_dev_dependencies() -> None:
    text = (
        "FROM node:20 AS build\nRUN npm ci && npm run build\n"
        "FROM node:20-slim\nRUN npm ci --omit=dev\nCOPY --from=build /app/dist dist\n"
    )
    assert lines("CD104", text) == []


def test_yarn_pnpm() -> None:
    assert lines("CD104", "FROM node:20-slim\nRUN yarn install --frozen-lockfile\n") == [2]
    assert lines("CD104", "FROM node:20-slim\nRUN yarn install --frozen-lockfile --production\n") == []
    assert lines("CD104", "FROM node:20-slim\nRUN pnpm install --frozen-lockfile\n") == [2]
    assert lines("CD104", "FROM node:20-slim\nRUN pnpm install --prod\n") == []


def test_python_dev_requirements_and_extras() -> None:
    assert lines("CD104", "FROM python:3.12-slim\nRUN pip install --no-cache-dir -r requirements-dev.txt\n") == [2]
    assert lines("CD104", "FROM python:3.12-slim\nRUN pip install -r requirements/test.txt\n") == [2]
    assert lines("CD104", "FROM python:3.12-slim\nRUN pip install -e '.[dev]'\n") == [2]
    assert lines("CD104", "FROM python:3.12-slim\nRUN pip install -r requirements.txt\n") == []
    assert lines("CD104", "FROM python:3.12-slim\nRUN pip install '.[postgres]'\n") == []


def test_poetry_and_uv_groups() -> None:
    assert lines("CD104", "FROM python:3.12-slim\nRUN poetry install --no-root\n") == [2]
    assert lines("CD104", "FROM python:3.12-slim\nRUN poetry install --only main --no-root\n") == []
    assert lines("CD104", "FROM python:3.12-slim\nRUN poetry install --without dev\n") == []
    assert lines("CD104", "FROM python:3.12-slim\nRUN uv sync --frozen\n") == [2]
    assert lines("CD104", "FROM python:3.12-slim\nRUN uv sync --frozen --no-dev\n") == []
    assert lines("CD104", "FROM python:3.12-slim\nRUN pipenv install --deploy --system\n") == []
    assert lines("CD104", "FROM python:3.12-slim\nRUN pipenv install --dev --system\n") == [2]


def test_bundle_and_composer() -> None:
    assert lines("CD104", "FROM ruby:3.3-slim\nRUN bundle install\n") == [2]
    assert lines("CD104", "FROM ruby:3.3-slim\nENV BUNDLE_WITHOUT=\"development test\"\nRUN bundle install\n") == []
    assert lines("CD104", "FROM ruby:3.3-slim\nRUN bundle config set --local without 'development test' && bundle install\n") == []
    assert lines("CD104", "FROM ruby:3.3-slim\nRUN bundle install --deployment\n") == []
    assert lines("CD104", "FROM php:8.3-cli\nRUN composer install\n") == [2]
    assert lines("CD104", "FROM php:8.3-cli\nRUN composer install --no-dev --optimize-autoloader\n") == []


def test_development_images_are_skipped() -> None:
    text = "FROM python:3.12\n" + APT.format("gcc") + "RUN pip install -r requirements-dev.txt\n"
    for path, expected in [(".devcontainer/Dockerfile", 0), ("Dockerfile.dev", 0), ("/home/me/dev/app/Dockerfile", 1)]:
        ctx = make_context(text)
        ctx.path = path
        assert len(list(BuildToolsInFinalImage().check(ctx))) == expected, path
        assert len(list(DevDependenciesInFinalImage().check(ctx))) == expected, path
