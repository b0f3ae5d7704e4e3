"""CD105 (full base image with a slim variant) and CD107 (toolchain image as the final image)."""

from __future__ import annotations

import pytest
from rulekit import lines, run_rule

from codi.rules.base import Applicability
from codi.rules.cd.base_image import slim_tag


@pytest.mark.parametrize(
    ("repo", "tag", "slim"),
    [
        ("python", "3.12", "3.12-slim"),
        ("python", "3.12-bookworm", "3.12-slim-bookworm"),
        ("node", "20-bookworm", "20-bookworm-slim"),
        ("node", None, "slim"),
        ("ruby", "latest", "slim"),
        ("debian", "bookworm", "bookworm-slim"),
        ("debian", None, "stable-slim"),
        ("python", "3.12-slim", None),
        ("python", "3.12-alpine3.20", None),
        ("node", "20-bookworm-slim", None),
        ("ubuntu", "24.04", None),
        ("debian", "%%PLACEHOLDER%%", None),
    ],
)
def test_slim_tag(repo: str, tag: str | None, slim: str | None) -> None:
    assert slim_tag(repo, tag) == slim


def test_full_python_final_stage_fires_with_display_fix() -> None:
    text = "FROM python:3.12\nCOPY app.py .\nCMD [\"python\", \"app.py\"]\n"
    found = run_rule("CD105", text)
    assert [f.line for f in found] == [1]
    assert "python:3.12-slim" in found[0].message
    fix = found[0].fix
    assert fix is not None and fix.applicability is Applicability.DISPLAY
    edit = fix.edits[0]
    assert text[: edit.start] + edit.replacement + text[edit.end:] == text.replace("python:3.12", "python:3.12-slim", 1)


def test_slim_and_builder_stages_are_fine() -> None:
    assert lines("CD105", "FROM python:3.12-slim\nCMD [\"python\"]\n") == []
    multi = "FROM node:20 AS build\nRUN npm ci\nFROM node:20-slim\nCOPY --from=build /app /app\n"
    assert lines("CD105", multi) == []


def test_arg_in_from_is_resolved() -> None:
    text = "ARG PY=3.11\nFROM python:${PY}\nCMD [\"python\"]\n"
    found = run_rule("CD105", text)
    assert [f.line for f in found] == [2]
    assert found[0].fix is None  # the image word holds a variable: no text edit
    assert lines("CD105", "ARG PY\nFROM python:${PY}\n") == []


def test_final_stage_from_a_stage_follows_the_chain() -> None:
    text = "FROM node:20 AS base\nWORKDIR /app\nFROM base\nCMD [\"node\"]\n"
    assert lines("CD105", text) == [1]


def test_other_registries_and_digests_are_skipped() -> None:
    assert lines("CD105", "FROM ghcr.io/acme/python:3.12\n") == []
    assert lines("CD105", "FROM python:3.12@sha256:" + "a" * 64 + "\n") == []


def test_toolchain_final_images() -> None:
    assert lines("CD107", "FROM golang:1.22\nRUN go build -o /app .\nCMD [\"/app\"]\n") == [1]
    assert lines("CD107", "FROM maven:3.9-eclipse-temurin-21\nCMD [\"java\", \"-jar\", \"app.jar\"]\n") == [1]
    assert lines("CD107", "FROM eclipse-temurin:21-jdk\n") == [1]
    assert lines("CD107", "FROM mcr.microsoft.com/dotnet/sdk:8.0\n") == [1]


def test_toolchain_runtime_images_are_fine() -> None:
    assert lines("CD107", "FROM eclipse-temurin:21-jre\n") == []
    assert lines("CD107", "FROM mcr.microsoft.com/dotnet/aspnet:8.0\n") == []
    multi = "FROM golang:1.22 AS build\nRUN go build -o /app .\nFROM gcr.io/distroless/static\nCOPY --from=build /app /app\n"
    assert lines("CD107", multi) == []
    assert lines("CD107", "FROM scratch\nCOPY app /app\n") == []
    assert lines("CD107", "FROM buildpack-deps:bookworm-curl\n") == []
    assert lines("CD107", "FROM buildpack-deps:bookworm\n") == [1]
