"""Base map: sources, precedence and FROM rewriting (candidate text untouched elsewhere)."""

from __future__ import annotations

from pathlib import Path

import pytest

from codi.imagebuild.basemap import apply_base_map, copied_images, load_base_map, lookup, parse_env_map


def test_env_map_parsing_ignores_junk() -> None:
    assert parse_env_map("python:3.12-slim=reg.local/py:3.12, bad ,x=,=y,a=b") == {
        "python:3.12-slim": "reg.local/py:3.12", "a": "b"}


def test_exact_key_beats_pattern_and_longer_pattern_wins() -> None:
    m = {"python:*": "full", "python:*-slim": "slim", "python:3.12-slim": "exact"}
    assert lookup("python:3.12-slim", m) == "exact"
    assert lookup("python:3.11-slim", m) == "slim"
    assert lookup("python:3.11", m) == "full"
    assert lookup("node:20", m) is None


def test_rewrites_from_lines_only_and_keeps_stage_references() -> None:
    text = ("# FROM golang:1.22 in a comment\n"
            "FROM --platform=$BUILDPLATFORM golang:1.22 AS build\r\n"
            "RUN echo FROM golang:1.22\n"
            "FROM build AS again\n"
            "from scratch\n")
    out, used = apply_base_map(text, {"golang:*": "local/go:1", "build": "nope", "scratch": "nope2"})
    assert used == {"golang:1.22": "local/go:1", "scratch": "nope2"}
    lines = out.splitlines(keepends=True)
    assert lines[0] == "# FROM golang:1.22 in a comment\n"
    assert lines[1] == "FROM --platform=$BUILDPLATFORM local/go:1 AS build\r\n"
    assert lines[2] == "RUN echo FROM golang:1.22\n"
    assert lines[3] == "FROM build AS again\n"
    assert lines[4] == "from nope2\n"


def test_sources_in_order_env_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / "bases.toml").write_text('[bases]\n"a" = "boot-a"\n"b" = "boot-b"\n"c" = "boot-c"\n')
    project = tmp_path / "proj"
    project.mkdir()
    (project / ".codi.toml").write_text('[bases]\n"b" = "proj-b"\n"c" = "proj-c"\n')
    monkeypatch.setenv("CODI_BASES_DIR", str(cache))
    monkeypatch.setenv("CODI_BASE_MAP", "c=env-c")
    mapping, sources = load_base_map(project)
    assert mapping == {"a": "boot-a", "b": "proj-b", "c": "env-c"}
    assert sources == [str(cache / "bases.toml"), str(project / ".codi.toml"), "env CODI_BASE_MAP"]


def test_no_sources_gives_empty_map(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CODI_BASES_DIR", str(tmp_path))
    monkeypatch.delenv("CODI_BASE_MAP", raising=False)
    assert load_base_map(tmp_path) == ({}, [])


def test_images_copied_from_are_mapped_and_stages_are_not() -> None:
    text = ("FROM python:3.12-slim AS uv\n"
            "FROM python:3.12-slim\n"
            "COPY --from=ghcr.io/astral-sh/uv:0.5.11 /uv /uvx /bin/\n"
            "COPY --from=uv /usr/bin/python3 /x\n"
            "COPY --from=0 /etc/hostname /y\n"
            "COPY --from=${TOOL} /z /z\n"
            "RUN --mount=type=bind,from=\"tools:1\",source=/t,target=/t \\\n    --mount=type=cache,target=/c true\n")
    assert copied_images(text) == ["ghcr.io/astral-sh/uv:0.5.11", "tools:1"]
    out, used = apply_base_map(text, {"python:*": "local/py", "ghcr.io/astral-sh/uv:*": "local/uv",
                                      "tools:*": "local/tools", "uv": "nope"})
    assert used == {"python:3.12-slim": "local/py", "ghcr.io/astral-sh/uv:0.5.11": "local/uv", "tools:1": "local/tools"}
    assert out.splitlines()[2:] == [
        "COPY --from=local/uv /uv /uvx /bin/", "COPY --from=uv /usr/bin/python3 /x", "COPY --from=0 /etc/hostname /y",
        "COPY --from=${TOOL} /z /z", "RUN --mount=type=bind,from=local/tools,source=/t,target=/t \\",
        "    --mount=type=cache,target=/c true"]
    assert apply_base_map(text, {}) == (text, {})


def test_a_copied_image_neither_local_nor_mapped_fails_before_building(tmp_path: Path) -> None:
    from fake_engine import FakeEngine

    from codi.imagebuild.measure_image import BuildSettings, measure_dockerfile

    engine = FakeEngine(missing={"ghcr.io/astral-sh/uv:0.5.11"})
    text = "FROM python:3.12-slim\nCOPY --from=ghcr.io/astral-sh/uv:0.5.11 /uv /bin/\nCMD [\"python\"]\n"
    got = measure_dockerfile(engine, tmp_path, text, "t", BuildSettings())
    assert got.error is not None and got.error.startswith(
        "image copied from ghcr.io/astral-sh/uv:0.5.11 is not available offline: no local image and no base map")
    assert engine.built == []
    mapped = measure_dockerfile(engine, tmp_path, text, "t", BuildSettings(
        base_map={"ghcr.io/astral-sh/uv:*": "localhost/codi-standin/uv:bookworm"}))
    assert mapped.error is None and mapped.bases_used == {
        "ghcr.io/astral-sh/uv:0.5.11": "localhost/codi-standin/uv:bookworm"}
