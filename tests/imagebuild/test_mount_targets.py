"""RUN mounts with a relative target are made absolute for the engine (BuildKit resolves them against the
RUN's working directory; buildah 1.28 refuses them), in the built text only."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fake_engine import FakeEngine

from codi.imagebuild.measure_image import BuildSettings, measure_dockerfile
from codi.imagebuild.mount_targets import absolute_mount_targets

# `docker init`'s Python Dockerfile, the part that matters
DOCKER_INIT = ("FROM python:3.11-slim AS base\nWORKDIR /app\n"
               "RUN --mount=type=cache,target=/root/.cache/pip \\\n"
               "    --mount=type=bind,source=requirements.txt,target=requirements.txt \\\n"
               "    python -m pip install -r requirements.txt\n")


def test_a_relative_target_is_joined_to_the_runs_working_directory() -> None:
    text = (DOCKER_INIT + "WORKDIR sub\nRUN --mount=type=bind,src=a,dst=./b/../c true\n"
            "RUN --mount=type=secret,id=t,target=$HOME/t true\n"
            "FROM python:3.11-slim\nRUN --mount=type=bind,target=rel true\n")
    out = absolute_mount_targets(text)
    assert "--mount=type=bind,source=requirements.txt,target=/app/requirements.txt \\\n" in out
    assert "--mount=type=cache,target=/root/.cache/pip \\\n" in out
    assert "RUN --mount=type=bind,src=a,dst=/app/sub/c true\n" in out
    assert "target=$HOME/t" in out  # a variable: left as written
    assert out.endswith("FROM python:3.11-slim\nRUN --mount=type=bind,target=rel true\n")  # base's WORKDIR unknown
    assert absolute_mount_targets("FROM x\nRUN [\n") == "FROM x\nRUN [\n"


def test_the_engine_gets_the_absolute_target(tmp_path: Path) -> None:
    seen: list[str] = []

    class Recording(FakeEngine):
        def build(self, context: Path, dockerfile: Path, *args: Any, **kwargs: Any) -> Any:
            seen.append(dockerfile.read_text())
            return super().build(context, dockerfile, *args, **kwargs)

    got = measure_dockerfile(Recording(), tmp_path, DOCKER_INIT, "t", BuildSettings(rebuild=False, smoke=False))
    assert got.error is None and len(seen) == 1
    assert "target=/app/requirements.txt" in seen[0] and "target=requirements.txt" not in seen[0]
