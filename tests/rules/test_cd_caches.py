"""CD101 (package caches left in a layer) and CD102 (deleted in a later layer)."""

from __future__ import annotations

from rulekit import lines, run_rule


def test_apt_lists_left_fires() -> None:
    text = "FROM debian:bookworm-slim\nRUN apt-get update && apt-get install -y curl\n"
    assert lines("CD101", text) == [2]
    assert "apt package lists" in run_rule("CD101", text)[0].message


def test_apt_lists_removed_or_mounted_is_fine() -> None:
    assert lines("CD101", "FROM debian\nRUN apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/*\n") == []
    assert lines(
        "CD101", "FROM debian\nRUN --mount=type=cache,target=/var/lib/apt apt-get update && apt-get install -y curl\n"
    ) == []


def test_apt_clean_alone_does_not_remove_lists() -> None:
    assert lines("CD101", "FROM debian\nRUN apt-get update && apt-get install -y curl && apt-get clean\n") == [2]


def test_apk_without_no_cache() -> None:
    assert lines("CD101", "FROM alpine:3.20\nRUN apk add curl\n") == [2]
    assert lines("CD101", "FROM alpine:3.20\nRUN apk add --no-cache curl\n") == []
    assert lines("CD101", "FROM alpine:3.20\nRUN apk add curl && rm -rf /var/cache/apk/*\n") == []


def apply_fix(text: str) -> str:
    (finding,) = run_rule("CD101", text)
    assert finding.fix is not None and finding.fix.applicability.value == "safe"
    out = text
    for edit in sorted(finding.fix.edits, key=lambda e: e.start, reverse=True):
        out = out[: edit.start] + edit.replacement + out[edit.end:]
    return out


def test_apk_and_pip_fixes_add_the_opt_out() -> None:
    assert apply_fix("FROM alpine\nRUN apk add curl\n") == "FROM alpine\nRUN apk add --no-cache curl\n"
    text = "FROM python:3.12-slim\nRUN --mount=type=bind,source=r.txt,target=r.txt set -e && sudo pip3 install -r r.txt\n"
    fixed = apply_fix(text)
    assert fixed == text.replace("pip3 install", "pip3 install --no-cache-dir")
    assert lines("CD101", fixed) == []
    (apt,) = run_rule("CD101", "FROM debian\nRUN apt-get update && apt-get install -y curl\n")
    assert apt.fix is None


def test_yum_dnf_need_clean() -> None:
    assert lines("CD101", "FROM rockylinux:9\nRUN dnf install -y git\n") == [2]
    assert lines("CD101", "FROM rockylinux:9\nRUN dnf install -y git && dnf clean all\n") == []
    assert lines("CD101", "FROM centos:7\nRUN yum install -y git && yum clean all && rm -rf /var/cache/yum\n") == []


def test_pip_cache_and_its_opt_outs() -> None:
    assert lines("CD101", "FROM python:3.12-slim\nRUN pip install -r requirements.txt\n") == [2]
    assert lines("CD101", "FROM python:3.12-slim\nRUN python3 -m pip install flask\n") == [2]
    assert lines("CD101", "FROM python:3.12-slim\nRUN pip install --no-cache-dir -r requirements.txt\n") == []
    assert lines("CD101", "FROM python:3.12-slim\nENV PIP_NO_CACHE_DIR=1\nRUN pip install -r r.txt\n") == []
    assert lines(
        "CD101", "FROM python:3.12-slim\nRUN --mount=type=cache,target=/root/.cache/pip pip install -r r.txt\n"
    ) == []
    # upgrading pip itself caches a few kB: not worth a finding
    assert lines("CD101", "FROM python:3.12-slim\nRUN pip install --upgrade pip setuptools wheel\n") == []


def test_npm_yarn_composer_gem() -> None:
    assert lines("CD101", "FROM node:20-slim\nRUN npm ci --omit=dev\n") == [2]
    assert lines("CD101", "FROM node:20-slim\nRUN npm ci --omit=dev && npm cache clean --force\n") == []
    assert lines("CD101", "FROM node:20-slim\nRUN yarn install --production\n") == [2]
    assert lines("CD101", "FROM node:20-slim\nRUN yarn install --production && yarn cache clean\n") == []
    assert lines("CD101", "FROM node:20-slim\nRUN yarn --version\n") == []
    assert lines("CD101", "FROM node:20-slim\nRUN yarn --frozen-lockfile\n") == [2]
    assert lines("CD101", "FROM php:8.3\nRUN composer install --no-dev\n") == [2]
    assert lines("CD101", "FROM php:8.3\nRUN composer install --no-dev --no-cache\n") == []
    assert lines("CD101", "FROM ruby:3.3\nRUN bundle install && rm -rf /usr/local/bundle/cache/*.gem\n") == []
    assert lines("CD101", "FROM ruby:3.3\nRUN bundle install\n") == [2]


def test_non_root_home_cache_removed() -> None:
    text = "FROM node:20-slim\nUSER node\nRUN npm ci && rm -rf /home/node/.npm\n"
    assert lines("CD101", text) == []


def test_builder_stage_is_ignored() -> None:
    text = (
        "FROM node:20 AS build\nRUN npm ci && npm run build\n"
        "FROM nginx:alpine\nCOPY --from=build /app/dist /usr/share/nginx/html\n"
    )
    assert lines("CD101", text) == []


def test_stage_built_from_a_stage_counts() -> None:
    text = "FROM debian AS base\nRUN apt-get update && apt-get install -y curl\nFROM base\nCMD [\"curl\"]\n"
    assert lines("CD101", text) == [2]


def test_one_finding_per_run_and_manager() -> None:
    text = "FROM python:3.12\nRUN apt-get update && apt-get install -y gcc && pip install -r r.txt\n"
    assert len(run_rule("CD101", text)) == 2


def test_deleted_copy_in_later_layer() -> None:
    text = "FROM debian\nCOPY app.tar.gz /tmp/\nRUN tar -xzf /tmp/app.tar.gz -C /opt\nRUN rm /tmp/app.tar.gz\n"
    found = run_rule("CD102", text)
    assert [f.line for f in found] == [4]
    assert "line 2" in found[0].message


def test_rm_in_the_same_run_as_download_is_fine() -> None:
    text = "FROM debian\nRUN curl -fsSLo /tmp/x.tgz https://e.org/x.tgz && tar -xzf /tmp/x.tgz && rm /tmp/x.tgz\n"
    assert lines("CD102", text) == []


def test_download_then_rm_in_later_run() -> None:
    text = "FROM debian\nRUN wget -O /tmp/x.tgz https://e.org/x.tgz\nRUN tar -xzf /tmp/x.tgz && rm -f /tmp/x.tgz\n"
    assert lines("CD102", text) == [3]


def test_relative_paths_follow_workdir() -> None:
    text = "FROM debian\nWORKDIR /src\nCOPY bundle.zip .\nRUN unzip bundle.zip\nRUN rm bundle.zip\n"
    assert lines("CD102", text) == [5]


def test_apt_lists_removed_in_later_run() -> None:
    text = "FROM debian\nRUN apt-get update && apt-get install -y curl\nRUN rm -rf /var/lib/apt/lists/*\n"
    assert lines("CD102", text) == [3]
    cleaned = "FROM debian\nRUN apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/*\n"
    assert lines("CD102", cleaned + "RUN rm -rf /var/lib/apt/lists/*\n") == []


def test_purge_of_packages_installed_earlier() -> None:
    text = "FROM debian\nRUN apt-get update && apt-get install -y gcc make\nRUN make && apt-get purge -y gcc\n"
    found = run_rule("CD102", text)
    assert [f.line for f in found] == [3]
    assert "gcc" in found[0].message
    same_run = "FROM debian\nRUN apt-get update && apt-get install -y gcc && make && apt-get purge -y gcc\n"
    assert lines("CD102", same_run) == []


def test_apk_virtual_group_deleted_later() -> None:
    text = "FROM alpine\nRUN apk add --no-cache --virtual .build-deps gcc musl-dev\nRUN apk del .build-deps\n"
    assert lines("CD102", text) == [3]
    assert lines("CD102", "FROM alpine\nRUN apk add --no-cache --virtual .b gcc && make && apk del .b\n") == []


def test_deleting_base_image_files_is_not_reported() -> None:
    assert lines("CD102", "FROM debian\nRUN rm -rf /usr/share/doc/*\n") == []


def test_builder_stage_deletions_are_ignored() -> None:
    text = "FROM debian AS b\nCOPY x.tgz /tmp/\nRUN rm /tmp/x.tgz\nFROM debian\nCOPY --from=b /opt /opt\n"
    assert lines("CD102", text) == []
