"""CD301 (pipe to shell), CD302 (upgrade), CD303 (dev server), CD305 (ADD url), CD306 (no USER)."""

from __future__ import annotations

from rulekit import lines, make_context

from codi.rules.cd.runtime import DevServerCommand
from codi.rules.registry import get_rule


def test_curl_pipe_to_shell() -> None:
    assert lines("CD301", "FROM debian\nRUN curl -fsSL https://get.example.com | sh\n") == [2]
    assert lines("CD301", "FROM debian\nRUN wget -qO- https://x.io/i.sh | sudo -E bash -s -- --yes\n") == [2]
    assert lines("CD301", "FROM debian\nRUN curl -sSL https://install.python-poetry.org | python3 -\n") == [2]
    assert lines("CD301", 'FROM debian\nRUN sh -c "$(curl -fsSL https://x.io/install.sh)"\n') == [2]


def test_downloads_not_run_by_a_shell_are_fine() -> None:
    assert lines("CD301", "FROM debian\nRUN curl -fsSL https://x.io/a.tgz | tar -xz -C /opt\n") == []
    verified = (
        "FROM debian\nRUN curl -fsSLo /tmp/i.sh https://x.io/i.sh "
        "&& echo 'abc  /tmp/i.sh' | sha256sum -c - && sh /tmp/i.sh\n"
    )
    assert lines("CD301", verified) == []


def test_upgrade_all_packages() -> None:
    assert lines("CD302", "FROM debian\nRUN apt-get update && apt-get upgrade -y\n") == [2]
    assert lines("CD302", "FROM debian\nRUN apt-get update && apt-get dist-upgrade -y\n") == [2]
    assert lines("CD302", "FROM alpine\nRUN apk upgrade --no-cache\n") == [2]
    assert lines("CD302", "FROM centos\nRUN yum update -y && yum clean all\n") == [2]
    assert get_rule("CD302") is not None and get_rule("CD302").enabled_by_default is False  # type: ignore[union-attr]


def test_upgrade_of_named_packages_is_fine() -> None:
    assert lines("CD302", "FROM centos\nRUN yum update -y openssl\n") == []
    assert lines("CD302", "FROM alpine\nRUN apk upgrade --no-cache openssl\n") == []
    assert lines("CD302", "FROM debian\nRUN apt-get update && apt-get install -y curl\n") == []


def test_dev_servers() -> None:
    assert lines("CD303", 'FROM node:20\nCMD ["npm", "run", "dev"]\n') == [2]
    assert lines("CD303", "FROM node:20\nCMD yarn dev\n") == [2]
    assert lines("CD303", 'FROM node:20\nCMD ["nodemon", "server.js"]\n') == [2]
    assert lines("CD303", 'FROM node:20\nCMD ["npx", "next", "dev"]\n') == [2]
    assert lines("CD303", 'FROM python:3.12\nCMD ["flask", "run", "--host=0.0.0.0"]\n') == [2]
    assert lines("CD303", 'FROM python:3.12\nCMD ["python", "-m", "flask", "run"]\n') == [2]
    assert lines("CD303", 'FROM python:3.12\nCMD ["python", "manage.py", "runserver", "0.0.0.0:8000"]\n') == [2]
    assert lines("CD303", 'FROM python:3.12\nCMD ["uvicorn", "app:app", "--reload"]\n') == [2]
    assert lines("CD303", 'FROM python:3.12\nCMD ["sh", "-c", "python manage.py migrate && python manage.py runserver"]\n') == [2]
    assert lines("CD303", 'FROM node:20\nENTRYPOINT ["npm", "run"]\nCMD ["dev"]\n') == [3]
    assert lines("CD303", 'FROM ruby:3.3\nCMD ["bundle", "exec", "rails", "server", "-b", "0.0.0.0"]\n') == [2]


def test_shell_form_entrypoint_and_dev_file_names() -> None:
    assert lines("CD303", "FROM node:20\nENTRYPOINT npx nodemon index.js\n") == [2]
    ctx = make_context('FROM node:20\nCMD ["npm", "run", "dev"]\n')
    ctx.path = "app/Dockerfile.dev"
    assert list(DevServerCommand().check(ctx)) == []


def test_production_servers_are_fine() -> None:
    assert lines("CD303", 'FROM node:20\nCMD ["npm", "start"]\n') == []
    assert lines("CD303", 'FROM node:20\nCMD ["node", "server.js"]\n') == []
    assert lines("CD303", 'FROM python:3.12\nCMD ["uvicorn", "app:app", "--host", "0.0.0.0"]\n') == []
    assert lines("CD303", 'FROM python:3.12\nCMD ["gunicorn", "app:app"]\n') == []
    rails = 'FROM ruby:3.3\nENV RAILS_ENV=production\nCMD ["bin/rails", "server"]\n'
    assert lines("CD303", rails) == []


def test_dev_server_in_non_final_or_dev_target_is_fine() -> None:
    text = 'FROM node:20 AS dev\nCMD ["npm", "run", "dev"]\nFROM node:20-slim\nCMD ["node", "server.js"]\n'
    assert lines("CD303", text) == []
    assert lines("CD303", 'FROM node:20 AS dev\nCMD ["npm", "run", "dev"]\n') == []


def test_add_url_without_checksum() -> None:
    assert lines("CD305", "FROM debian\nADD https://github.com/krallin/tini/releases/download/v0.19.0/tini /tini\n") == [2]
    ok = "FROM debian\nADD --checksum=sha256:" + "a" * 64 + " https://e.org/tini /tini\n"
    assert lines("CD305", ok) == []
    assert lines("CD305", "FROM debian\nADD https://github.com/moby/buildkit.git#v0.14.0 /src\n") == []
    assert lines("CD305", "FROM debian\nADD app.tar.gz /opt/\n") == []
    assert lines("CD305", 'FROM debian\nADD ["https://e.org/a.tgz", "/opt/"]\n') == [2]


def test_no_user_in_final_image() -> None:
    assert lines("CD306", 'FROM node:20-slim\nCOPY . /app\nCMD ["node", "/app/server.js"]\n') == [1]
    multi = "FROM golang AS b\nUSER nobody\nFROM alpine\nCOPY --from=b /x /x\n"
    assert lines("CD306", multi) == [3]


def test_user_set_or_privilege_dropped() -> None:
    assert lines("CD306", "FROM node:20-slim\nUSER node\n") == []
    assert lines("CD306", "FROM node:20-slim AS base\nUSER node\nFROM base\nCMD [\"node\"]\n") == []
    assert lines("CD306", "FROM gcr.io/distroless/static:nonroot\nCOPY app /app\n") == []
    gosu = "FROM debian\nRUN apt-get update && apt-get install -y gosu\nENTRYPOINT [\"/entrypoint.sh\"]\n"
    assert lines("CD306", gosu) == []
