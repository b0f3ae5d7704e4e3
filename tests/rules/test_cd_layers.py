"""CD106 (chmod/chown after COPY), CD201 (context before install), CD202 (.dockerignore), CD203 (update alone)."""

from __future__ import annotations

from pathlib import Path

from rulekit import lines, make_context, run_rule

from codi.rules.base import Applicability
from codi.rules.cd.context import CopyContextWithoutDockerignore


def apply(text: str, code: str) -> str:
    (finding,) = run_rule(code, text)
    assert finding.fix is not None
    out = text
    for edit in sorted(finding.fix.edits, key=lambda e: e.start, reverse=True):
        out = out[: edit.start] + edit.replacement + out[edit.end:]
    return out


def test_chown_after_copy_fires_with_safe_fix() -> None:
    text = "FROM node:20-slim\nCOPY . /app\nRUN chown -R node:node /app\nCMD [\"node\"]\n"
    found = run_rule("CD106", text)
    assert [f.line for f in found] == [3]
    assert found[0].fix is not None and found[0].fix.applicability is Applicability.SAFE
    assert apply(text, "CD106") == "FROM node:20-slim\nCOPY --chown=node:node . /app\nCMD [\"node\"]\n"


def test_chmod_of_copied_file_in_directory() -> None:
    text = "FROM debian\nCOPY entrypoint.sh /usr/local/bin/\nRUN chmod +x /usr/local/bin/entrypoint.sh\n"
    found = run_rule("CD106", text)
    assert [f.line for f in found] == [3]
    assert found[0].fix is None  # symbolic mode: no --chmod fix


def test_chmod_single_file_octal_is_safe() -> None:
    text = "FROM debian\nCOPY start.sh /start.sh\nRUN chmod 755 /start.sh\n"
    assert apply(text, "CD106") == "FROM debian\nCOPY --chmod=755 start.sh /start.sh\n"


def test_non_recursive_directory_change_is_not_a_second_copy() -> None:
    """`chmod 755 /scripts` after `COPY scripts /scripts` changes the folder's own entry, not its files."""
    assert not run_rule("CD106", "FROM debian\nCOPY scripts /scripts\nRUN chmod 755 /scripts\n")


def test_chown_with_other_work_has_no_fix_and_earlier_files_block_safe_fix() -> None:
    text = "FROM node:20\nWORKDIR /app\nCOPY . .\nRUN npm ci && chown -R node /app\n"
    (finding,) = run_rule("CD106", text)
    assert finding.line == 4 and finding.fix is None
    earlier = "FROM node:20\nCOPY package.json /app/\nRUN cd /app && npm ci\nCOPY . /app\nRUN chown -R node /app\n"
    (finding,) = run_rule("CD106", earlier)
    assert finding.fix is not None and finding.fix.applicability is Applicability.DISPLAY


def test_chmod_of_unrelated_path_is_fine() -> None:
    assert lines("CD106", "FROM debian\nCOPY app /app\nRUN chmod 700 /data\n") == []
    assert lines("CD106", "FROM debian\nRUN mkdir /data && chown app /data\n") == []


def test_context_copied_before_npm_install() -> None:
    text = "FROM node:20-slim\nWORKDIR /app\nCOPY . .\nRUN npm ci --omit=dev\nCMD [\"node\", \"server.js\"]\n"
    found = run_rule("CD201", text)
    assert [f.line for f in found] == [3]
    assert "line 4" in found[0].message and "package.json" in found[0].message


def test_manifests_first_is_fine() -> None:
    text = (
        "FROM node:20-slim\nWORKDIR /app\nCOPY package.json package-lock.json ./\nRUN npm ci --omit=dev\n"
        "COPY . .\nRUN npm run build\n"
    )
    assert lines("CD201", text) == []
    py = "FROM python:3.12-slim\nCOPY requirements.txt .\nRUN pip install -r requirements.txt\nCOPY . .\nRUN pip install --no-deps .\n"
    assert lines("CD201", py) == []


def test_other_ecosystems() -> None:
    assert lines("CD201", "FROM python:3.12\nCOPY . /app\nRUN pip install -r /app/requirements.txt\n") == [2]
    assert lines("CD201", "FROM golang:1.22\nCOPY . .\nRUN go build -o /app .\n") == [2]
    assert lines("CD201", "FROM maven:3\nADD . /src\nRUN mvn -B package\n") == [2]
    go_ok = "FROM golang:1.22\nCOPY go.mod go.sum ./\nRUN go mod download\nCOPY . .\nRUN go build -o /app .\n"
    assert lines("CD201", go_ok) == []
    chef = "FROM rust AS b\nCOPY recipe.json .\nRUN cargo chef cook --release\nCOPY . .\nRUN cargo build --release\n"
    assert lines("CD201", chef) == []
    mounted = "FROM golang:1.22\nCOPY . .\nRUN --mount=type=cache,target=/go/pkg/mod go build -o /app .\n"
    assert lines("CD201", mounted) == []


def test_system_packages_after_context_copy() -> None:
    text = "FROM python:3.12-slim\nCOPY . /app\nRUN apt-get update && apt-get install -y libpq5\n"
    (finding,) = run_rule("CD201", text)
    assert finding.line == 2 and "move the package install above" in finding.message
    ok = "FROM python:3.12-slim\nRUN apt-get update && apt-get install -y libpq5\nCOPY . /app\n"
    assert lines("CD201", ok) == []


def test_copy_without_install_is_fine() -> None:
    assert lines("CD201", "FROM nginx\nCOPY . /usr/share/nginx/html\n") == []
    assert lines("CD201", "FROM node:20\nCOPY . .\nRUN npm install -g serve\n") == []


def test_dockerignore_missing(tmp_path: Path) -> None:
    text = "FROM python:3.12-slim\nWORKDIR /app\nCOPY . .\n"
    assert lines("CD202", text, context_dir=tmp_path) == [3]
    (tmp_path / ".dockerignore").write_text(".git\n")
    assert lines("CD202", text, context_dir=tmp_path) == []


def test_dockerfile_specific_ignore_file_counts(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile.dockerignore").write_text(".git\n")
    ctx = make_context("FROM python\nCOPY . .\n", context_dir=tmp_path)
    ctx.path = str(tmp_path / "Dockerfile")
    assert list(CopyContextWithoutDockerignore().check(ctx)) == []


def test_dockerignore_unknown_context_or_specific_copy(tmp_path: Path) -> None:
    assert lines("CD202", "FROM python\nCOPY . .\n") == []
    assert lines("CD202", "FROM python\nCOPY app.py .\nCOPY --from=build /out .\n", context_dir=tmp_path) == []


def test_update_in_its_own_run() -> None:
    text = "FROM debian\nRUN apt-get update\nRUN apt-get install -y curl\n"
    found = run_rule("CD203", text)
    assert [f.line for f in found] == [2]
    assert "line 3" in found[0].message
    assert lines("CD203", "FROM debian\nRUN apt-get update && apt-get install -y curl\n") == []
    assert lines("CD203", "FROM alpine\nRUN apk update\nRUN apk add curl\n") == [2]
    assert lines("CD203", "FROM debian\nRUN apt-get update\n") == []


def test_cd106_ignores_a_non_recursive_chown_of_a_copied_folder() -> None:
    """Regression: `chown node /app` after `COPY . /app` changes the folder alone, not the copied files."""
    from rulekit import run_rule

    assert not run_rule("CD106", "FROM node:20\nCOPY . /app\nRUN chown node:node /app\n")
    assert run_rule("CD106", "FROM node:20\nCOPY . /app\nRUN chown -R node:node /app\n")


def test_non_recursive_change_of_the_working_directory_after_copying_one_file_into_it() -> None:
    """Regression: `COPY requirements.txt .` then `chown app /app` (the WORKDIR) changes the folder's own
    entry, not requirements.txt; a recursive change still rewrites the copied file."""
    text = "FROM python:3.12\nWORKDIR /app\nCOPY requirements.txt .\nRUN pip install -r requirements.txt && chown app /app\n"
    assert not run_rule("CD106", text)
    assert lines("CD106", text.replace("chown app", "chown -R app")) == [4]
    assert lines("CD106", "FROM debian\nCOPY start.sh /app\nRUN chown app /app\n") == [3]  # /app is the file
