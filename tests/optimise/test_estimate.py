"""The size estimator: every package of an install counts, flags and pins do not, the base comes from imagedb."""

from __future__ import annotations

import pytest

from codi.optimise.base_sizes import MB, base_image_bytes, size_table_version
from codi.optimise.estimate import (
    APK_PACKAGE_MB,
    APT_BIG_MB,
    APT_LISTS_MB,
    APT_PACKAGE_MB,
    GO_BINARY_MB,
    PIP_PACKAGE_MB,
    RPM_CACHE_MB,
    RPM_PACKAGE_MB,
    Estimate,
    ProjectSizes,
    estimate,
)
from codi.parser import parse
from codi.parser.semantic import build_model

BASE = "debian:bookworm-slim"
CURL_GIT = APT_PACKAGE_MB + APT_BIG_MB["git"]


def est(body: str, sizes: ProjectSizes | None = None, base: str = BASE) -> Estimate:
    df = parse(f"FROM {base}\n{body}\n")
    return estimate(df, build_model(df), sizes or ProjectSizes())


def added_mb(body: str, sizes: ProjectSizes | None = None) -> float:
    got = est(body, sizes)
    base = base_image_bytes(BASE)
    assert got.size_bytes is not None and base is not None
    return (got.size_bytes - base) / MB


@pytest.mark.parametrize("run", [
    "RUN apt-get install -y curl git",
    "RUN apt-get -y install curl git",                                   # flag before the subcommand
    "RUN apt-get install curl git",
    "RUN apt install -y --no-install-recommends curl git",
    "RUN apt-get install -y -o Dpkg::Options::=--force-confnew curl git",  # a flag that takes a value
    "RUN apt-get install -y curl=7.88.1-10 git=1:2.39.2-1",              # version pins
    "RUN DEBIAN_FRONTEND=noninteractive apt-get install -y curl git",    # an assignment before it
    "RUN sudo apt-get install -y curl git",
    "RUN apt-get install -y \\\n    curl \\\n    git",
])
def test_apt_install_counts_every_package(run: str) -> None:
    assert added_mb(run) == pytest.approx(CURL_GIT, abs=0.01)
    basis = " ".join(est(run).basis)
    assert "2 package(s)" in basis and "curl" in basis and "git" in basis


def test_one_package_and_many() -> None:
    assert added_mb("RUN apt-get install -y curl") == pytest.approx(APT_PACKAGE_MB, abs=0.01)
    assert added_mb("RUN apt-get install -y curl wget jq") == pytest.approx(3 * APT_PACKAGE_MB, abs=0.01)
    assert added_mb("RUN apt-get install -y build-essential git") == pytest.approx(
        APT_BIG_MB["build-essential"] + APT_BIG_MB["git"], abs=0.01)


def test_apt_lists_count_unless_removed_or_cached() -> None:
    assert added_mb("RUN apt-get update && apt-get install -y curl git") == pytest.approx(
        APT_LISTS_MB + CURL_GIT, abs=0.01)
    assert added_mb("RUN apt-get update && apt-get install -y curl git && rm -rf /var/lib/apt/lists/*") == \
        pytest.approx(CURL_GIT, abs=0.01)
    cached = "RUN --mount=type=cache,target=/var/lib/apt apt-get update && apt-get install -y curl git"
    assert added_mb(cached) == pytest.approx(CURL_GIT, abs=0.01)


def test_several_installs_in_one_run_add_up() -> None:
    run = "RUN apt-get install -y curl && apt-get install -y git jq"
    assert added_mb(run) == pytest.approx(2 * APT_PACKAGE_MB + APT_BIG_MB["git"], abs=0.01)


def test_apk_and_rpm_count_every_package() -> None:
    assert added_mb("RUN apk add --no-cache curl git") == pytest.approx(2 * APK_PACKAGE_MB, abs=0.01)
    assert added_mb("RUN apk add curl git") == pytest.approx(2 * APK_PACKAGE_MB + 2, abs=0.01)
    assert added_mb("RUN apk add --no-cache --virtual .build-deps gcc") == pytest.approx(APK_PACKAGE_MB, abs=0.01)
    assert added_mb("RUN dnf install -y curl git && dnf clean all") == pytest.approx(2 * RPM_PACKAGE_MB, abs=0.01)
    assert added_mb("RUN yum install -y curl git") == pytest.approx(2 * RPM_PACKAGE_MB + RPM_CACHE_MB, abs=0.01)


def test_pip_counts_named_packages_or_the_requirements() -> None:
    assert added_mb("RUN pip install --no-cache-dir flask requests") == pytest.approx(2 * PIP_PACKAGE_MB, abs=0.01)
    assert added_mb("RUN python -m pip install flask requests") == pytest.approx(4 * PIP_PACKAGE_MB, abs=0.01)
    sized = ProjectSizes(python_deps=5)
    assert added_mb("RUN pip install --no-cache-dir -r requirements.txt", sized) == pytest.approx(
        5 * PIP_PACKAGE_MB, abs=0.01)


def test_layers_are_exact_and_only_the_final_stage_counts() -> None:
    text = ("FROM golang:1.22 AS build\nRUN apt-get install -y git\nRUN go build -o /app .\n"
            f"FROM {BASE}\nCOPY --from=build /app /app\nRUN apt-get install -y curl git\nCMD [\"/app\"]\n")
    df = parse(text)
    got = estimate(df, build_model(df), ProjectSizes())
    base = base_image_bytes(BASE)
    assert got.layers == 2 and got.kind == "estimated" and base is not None
    assert got.size_bytes == base + int(GO_BINARY_MB * MB) + int(CURL_GIT * MB)  # the binary `go build -o /app` wrote


def test_an_unknown_base_makes_the_size_unknown_not_guessed() -> None:
    got = est("RUN apt-get install -y curl git", base="mycorp/base:1")
    assert got.size_bytes is None and got.layers == 1
    assert "not in the size table" in got.basis[0]


# The base-size data: answered by codi.imagedb.
def test_base_sizes_come_from_the_image_database() -> None:
    from codi.imagedb import database_version, lookup

    for ref in ("python:3.12", "python:3.12-slim", "node:20-alpine", "golang:1.22", "eclipse-temurin:17-jre"):
        config = lookup(ref)
        assert config is not None and config.size_mb is not None
        assert base_image_bytes(ref) == config.size_mb * MB
    assert size_table_version() == database_version()


@pytest.mark.parametrize("ref", ["mycorp/app:1", "$BASE", "${BASE_IMAGE}:1", "", None])
def test_unknown_or_variable_bases_have_no_size(ref: str | None) -> None:
    assert base_image_bytes(ref) is None


def test_base_sizes_are_the_same_image_in_every_spelling() -> None:
    size = base_image_bytes("python:3.12")
    assert size is not None
    for ref in ("docker.io/library/python:3.12", "library/python:3.12", "python:3.12@sha256:" + "a" * 64):
        assert base_image_bytes(ref) == size


@pytest.mark.parametrize(("small", "big"), [
    ("python:3.12-slim", "python:3.12"),
    ("python:3.12-alpine", "python:3.12-slim"),
    ("node:20-slim", "node:20"),
    ("node:20-alpine", "node:20-slim"),
    ("eclipse-temurin:17-jre", "eclipse-temurin:17-jdk"),
    ("gcr.io/distroless/static-debian12:nonroot", "alpine:3.20"),
    ("alpine:3.20", "debian:bookworm-slim"),
])
def test_base_sizes_order_variants_as_a_user_expects(small: str, big: str) -> None:
    a, b = base_image_bytes(small), base_image_bytes(big)
    assert a is not None and b is not None and 0 < a < b


def test_scratch_is_empty() -> None:
    assert base_image_bytes("scratch") == 0
