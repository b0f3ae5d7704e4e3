"""The base-image database: lookups, tag-glob precedence, refs, runtime versions, schema, bad files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from codi.imagedb import ImageConfig, ImageDbError, Source, database_version, lookup, normalize_ref
from codi.imagedb.lookup import load_database, parse_database, read_database
from codi.imagedb.schema import SCHEMA_FILE, schema_text

REPO = Path(__file__).parents[2]


def known(ref: str) -> ImageConfig:
    config = lookup(ref)
    assert config is not None, ref
    return config


@pytest.mark.parametrize(
    ("ref", "expected"),
    [
        ("python:3.9-slim", ("python", "3.9-slim")),
        ("docker.io/library/node:18", ("node", "18")),
        ("index.docker.io/library/node", ("node", "latest")),
        ("library/alpine:3.20", ("alpine", "3.20")),
        ("registry.docker.com/library/ruby:4.0.6-slim@sha256:" + "b" * 64, ("ruby", "4.0.6-slim")),
        ("python@sha256:" + "a" * 64, ("python", "latest")),
        ("python:3.12-slim@sha256:" + "a" * 64, ("python", "3.12-slim")),
        ("gcr.io/distroless/static-debian12:nonroot", ("gcr.io/distroless/static-debian12", "nonroot")),
        ("localhost:5000/app", ("localhost:5000/app", "latest")),
        ("localhost:5000/app:1.2", ("localhost:5000/app", "1.2")),
        ("docker.io/tiangolo/uvicorn-gunicorn-fastapi:python3.9-slim", ("tiangolo/uvicorn-gunicorn-fastapi", "python3.9-slim")),
    ],
)
def test_normalize_ref(ref: str, expected: tuple[str, str]) -> None:
    assert normalize_ref(ref) == expected


@pytest.mark.parametrize(
    ("ref", "runtime", "version"),
    [
        ("python:3.9-slim", "python", "3.9"),
        ("python:3.12.4", "python", "3.12"),
        ("node:18-slim", "node", "18"),
        ("node:18.19-alpine", "node", "18"),
        ("golang:1.22-alpine", "go", "1.22"),
        ("eclipse-temurin:17-jre", "java", "17"),
        ("maven:3.9-eclipse-temurin-21", "java", "21"),
        ("tiangolo/uvicorn-gunicorn-fastapi:python3.9-slim", "python", "3.9"),
        ("ruby:3.3-slim", "ruby", "3.3"),
        ("php:8.2-fpm-alpine", "php", "8.2"),
        ("mcr.microsoft.com/dotnet/aspnet:8.0", "dotnet", "8.0"),
        ("rust:1.79-slim", "rust", "1.79"),
        ("gradle:8.10-jdk21", "java", "21"),
        ("ghcr.io/astral-sh/uv:python3.12-bookworm-slim", "python", "3.12"),
        ("lukemathwalker/cargo-chef:latest-rust-1.80.1", "rust", "1.80"),
        ("gcr.io/distroless/python3-debian12", "python", "3.11"),
    ],
)
def test_runtime_version_from_tag(ref: str, runtime: str, version: str) -> None:
    config = known(ref)
    assert (config.runtime, config.runtime_version) == (runtime, version)


def test_moving_tags_map_to_a_dated_alias_or_nothing() -> None:
    node = load_database().families[[f.id for f in load_database().families].index("node")]
    assert node.aliases_as_of and known("node:lts").runtime_version == node.version_aliases["lts"]
    assert known("node:lts-alpine").os_family == "alpine"
    assert known("gcr.io/distroless/nodejs22-debian12").runtime_version is None
    assert known("maven:3.9").runtime_version == known("maven:latest").runtime_version


def test_python_family_facts() -> None:
    slim = known("python:3.12-slim")
    assert slim.family == "python" and slim.cmd == ["python3"] and slim.entrypoint is None
    assert slim.env["PATH"].startswith("/usr/local/bin:") and slim.env["PYTHON_VERSION"] is None
    assert slim.env["LANG"] == "C.UTF-8" and "GPG_KEY" in slim.env
    assert (slim.user, slim.workdir, slim.shell) == ("", "", ["/bin/sh", "-c"])
    assert slim.os_family == "debian" and slim.libc == "glibc"
    assert all(isinstance(s, Source) and s.repository for s in slim.sources)
    assert any(s.repository == "docker-library/python" and len(s.commit) == 40 for s in slim.sources)


def test_tag_glob_precedence_sizes_and_os() -> None:
    full, slim, alpine = known("python:3.12"), known("python:3.12-slim"), known("python:3.12-alpine3.20")
    assert full.size_mb and slim.size_mb and alpine.size_mb
    assert full.size_mb > slim.size_mb > alpine.size_mb
    assert (alpine.os_family, alpine.libc) == ("alpine", "musl")
    # *fpm*alpine* beats both *fpm* and *alpine*
    fpm_alpine = known("php:8.2-fpm-alpine")
    assert fpm_alpine.cmd == ["php-fpm"] and fpm_alpine.os_family == "alpine" and fpm_alpine.exposed_ports == ["9000/tcp"]
    assert known("php:8.2-apache").cmd == ["apache2-foreground"]
    assert known("php:8.2-cli").cmd == ["php", "-a"]


def test_node_nginx_golang() -> None:
    node = known("node:20-bookworm-slim")
    assert node.entrypoint == ["docker-entrypoint.sh"] and node.cmd == ["node"]
    nginx = known("nginx:stable-alpine-slim@sha256:" + "c" * 64)
    assert nginx.entrypoint == ["/docker-entrypoint.sh"] and nginx.cmd == ["nginx", "-g", "daemon off;"]
    assert nginx.exposed_ports == ["80/tcp"] and nginx.stopsignal == "SIGQUIT" and nginx.os_family == "alpine"
    go = known("golang:1.22")
    assert go.workdir == "/go" and go.env["GOPATH"] == "/go" and go.env["PATH"].startswith("/go/bin:/usr/local/go/bin:")


def test_java_family() -> None:
    jre = known("eclipse-temurin:17-jre")
    assert jre.entrypoint == ["/__cacert_entrypoint.sh"] and jre.cmd is None
    assert known("eclipse-temurin:21-jdk").cmd == ["jshell"]
    assert jre.env["JAVA_HOME"] == "/opt/java/openjdk"
    assert known("eclipse-temurin:21-jre-alpine").os_family == "alpine"
    mvn = known("maven:3.9-eclipse-temurin-21")
    assert mvn.cmd == ["mvn"] and mvn.env["MAVEN_CONFIG"] == "/root/.m2"


def test_distroless_users() -> None:
    root = known("gcr.io/distroless/static-debian12")
    nonroot = known("gcr.io/distroless/static-debian12:nonroot")
    assert (root.user, root.workdir) == ("0", "/")
    assert (nonroot.user, nonroot.workdir) == ("65532", "/home/nonroot")
    assert nonroot.os_family == "distroless" and nonroot.shell == []
    assert known("gcr.io/distroless/java21-debian12:nonroot").entrypoint == ["/usr/bin/java", "-jar"]
    assert known("gcr.io/distroless/nodejs24-debian13").entrypoint == ["/nodejs/bin/node"]
    assert known("gcr.io/distroless/static:debug").entrypoint == ["/busybox/sh"]


def test_derived_images() -> None:
    fastapi = known("tiangolo/uvicorn-gunicorn-fastapi:python3.9-slim")
    assert fastapi.cmd == ["/start.sh"] and fastapi.workdir == "/app" and fastapi.env["PYTHONPATH"] == "/app"
    uv = known("ghcr.io/astral-sh/uv:python3.12-bookworm-slim")
    assert uv.entrypoint is None and uv.cmd == ["/usr/local/bin/uv"] and uv.env["UV_TOOL_BIN_DIR"] == "/usr/local/bin"
    binary = known("ghcr.io/astral-sh/uv:0.5.4")
    assert binary.os_family == "scratch" and binary.entrypoint == ["/uv"]
    unpriv = known("nginxinc/nginx-unprivileged:1.27-alpine")
    assert unpriv.user == "101" and unpriv.exposed_ports == ["8080/tcp"]
    red = known("nodered/node-red:4.0")
    assert red.entrypoint == ["./entrypoint.sh"] and red.cmd is None and red.user == "node-red"
    govuk = known("ghcr.io/alphagov/govuk-ruby-base:4.0")
    assert govuk.runtime_version == "4.0" and govuk.workdir == "/app" and govuk.env["RAILS_ENV"] == "production"
    assert known("lukemathwalker/cargo-chef:latest-rust-slim-bookworm").env["CARGO_HOME"] == "/usr/local/cargo"


def test_dotnet_ports_by_version() -> None:
    assert known("mcr.microsoft.com/dotnet/aspnet:8.0").env["ASPNETCORE_HTTP_PORTS"] == "8080"
    old = known("mcr.microsoft.com/dotnet/aspnet:3.1")
    assert old.env["ASPNETCORE_URLS"] == "http://+:80" and old.env.get("ASPNETCORE_HTTP_PORTS") is None
    assert known("mcr.microsoft.com/dotnet/runtime-deps:10.0-noble-chiseled").user == "1654"


def test_scratch_and_registry_variants() -> None:
    scratch = known("scratch")
    assert scratch.os_family == "scratch" and scratch.size_mb == 0 and scratch.env == {} and scratch.shell == []
    assert scratch.entrypoint is None and scratch.cmd is None
    assert known("amd64/buildpack-deps:bookworm-curl").family == "buildpack-deps"
    assert known("mcr.microsoft.com/windows/servercore:ltsc2022").os_family == "windows"


@pytest.mark.parametrize("ref", ["example.com/acme/app:1", "acme/unknown", "", "${BASE}", "node-ish:1"])
def test_unknown_is_none(ref: str) -> None:
    assert lookup(ref) is None


def test_describe_is_json() -> None:
    out = known("python:3.12-slim").describe()
    json.dumps(out)
    assert out["size_mb_approx"] == 130 and out["sources"][0]["repository"]


def test_database_version_and_every_family_has_sources() -> None:
    assert database_version().count(".") == 2
    for fam in load_database().families:
        assert fam.sources and all(s.commit or s.note for s in fam.sources), fam.id


def test_schema_file_is_current() -> None:
    on_disk = (REPO / "schemas" / SCHEMA_FILE).read_text(encoding="utf-8")
    assert on_disk == schema_text(), "schemas/imagedb.schema.json is stale: run python -m codi.imagedb.schema"


def test_bad_file_names_file_and_entry(tmp_path: Path) -> None:
    raw = json.loads(json.dumps(load_database().model_dump(mode="json")))
    raw["families"][2]["variants"][0]["tags"] = []
    bad = tmp_path / "bases.json"
    bad.write_text(json.dumps(raw))
    with pytest.raises(ImageDbError) as info:
        read_database(bad)
    message = str(info.value)
    assert str(bad) in message and raw["families"][2]["id"] in message and "tags" in message


def test_bad_regex_and_duplicate_ids() -> None:
    raw = load_database().model_dump(mode="json")
    raw["families"][5]["runtime_version_pattern"] = "(unclosed"
    with pytest.raises(ImageDbError, match="runtime_version_pattern"):
        parse_database(raw, "x.json")
    raw = load_database().model_dump(mode="json")
    raw["families"].append(raw["families"][0])
    with pytest.raises(ImageDbError, match="duplicate id"):
        parse_database(raw, "x.json")


def test_unreadable_file(tmp_path: Path) -> None:
    with pytest.raises(ImageDbError, match="cannot read"):
        read_database(tmp_path / "missing.json")
