"""Issue 24: stand-ins real apps need (base map of current majors, Alpine refused, docker-entrypoint.sh,
which runtime stood in for which tag) and the host's extra CAs (baked in, else a read-only mount)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from fake_engine import FakeEngine

from codi.imagebuild.basemap import lookup
from codi.imagebuild.bases import STANDINS, image_ref
from codi.imagebuild.measure_image import BuildSettings, measure_dockerfile
from codi.imagebuild.runtimes import stood_in, upstream, versions_from_status
from codi.imagebuild.shims import ENTRYPOINT_SHIM
from codi.imagebuild.trust import BUNDLE_IN_IMAGE, certificates, extras, plan, record_baked

FULL_MAP = {name: image_ref(s, "bookworm") for s in STANDINS for name in s.names}


@pytest.mark.parametrize(("ref", "key"), [
    ("node:26-slim", "node-slim"), ("node:22-bookworm-slim", "node-slim"), ("node:20.11.1-slim", "node-slim"),
    ("node:24", "node"), ("node:22-bookworm", "node"), ("node", "node"), ("node:lts-slim", "node-slim"),
    ("python:3.13-slim-bookworm", "python-slim"), ("python:3.10-slim", "python-slim"),
    ("python:3.12", "python"), ("python:3.11-bookworm", "python"), ("python:3.12.4", "python"),
    ("python:3.13-trixie", "python"), ("golang:1.25", "golang"), ("golang:1.23-bookworm", "golang"),
    # older majors real projects still name (reports say "not proven on" them)
    ("node:10", "node"), ("node:16-bullseye-slim", "node-slim"), ("node:lts-buster", "node"),
    ("python:3.7-slim", "python-slim"), ("python:3.6", "python"), ("golang:1.16", "golang"),
])
def test_current_runtime_majors_and_their_variants_map(ref: str, key: str) -> None:
    assert lookup(ref, FULL_MAP) == f"localhost/codi-standin/{key}:bookworm"


@pytest.mark.parametrize(("ref", "key"), [
    # full patch versions, also with two-digit parts and a suite (the usual pinned tags)
    ("node:20.11.1", "node"), ("node:20.11.1-bookworm", "node"), ("node:18.20.4-bookworm-slim", "node-slim"),
    ("python:3.12.3-bookworm", "python"), ("python:3.11.10", "python"), ("golang:1.22.5-bookworm", "golang"),
    ("golang:1.22.10", "golang"),
    # Node.js LTS codenames, as the official node images tag them
    ("node:iron", "node"), ("node:hydrogen-slim", "node-slim"), ("node:jod-bookworm-slim", "node-slim"),
    # Docker Hub's long names and digests (the digest names one build of the same tag)
    ("docker.io/library/python:3.12-slim", "python-slim"), ("docker.io/python:3.12", "python"),
    ("library/node:20", "node"), ("index.docker.io/library/golang:1.22", "golang"),
    ("node:24@sha256:8530f76a96d88820d288761f022e318970dda93d01536919fbc16076b7983e63", "node"),
    ("docker.io/library/python:3.12.4-slim@sha256:0123", "python-slim"),
])
def test_the_same_image_spelled_otherwise_maps_too(ref: str, key: str) -> None:
    assert lookup(ref, FULL_MAP) == f"localhost/codi-standin/{key}:bookworm"


@pytest.mark.parametrize("ref", ["ghcr.io/astral-sh/uv:0.5.11", "ghcr.io/astral-sh/uv:latest", "ghcr.io/astral-sh/uv",
                                 "ghcr.io/astral-sh/uv:0.13@sha256:0123", "docker.io/astral/uv:0.9.2", "astral/uv:1"])
def test_uvs_own_image_maps_onto_the_uv_standin(ref: str) -> None:
    assert lookup(ref, FULL_MAP) == "localhost/codi-standin/uv:bookworm"


@pytest.mark.parametrize("ref", ["ghcr.io/astral-sh/uv:python3.12-bookworm-slim",
                                 "ghcr.io/astral-sh/uv:0.5.11-python3.12-bookworm", "ghcr.io/astral-sh/uv:debian"])
def test_uvs_images_with_python_or_a_distribution_are_not_the_uv_standin(ref: str) -> None:
    assert lookup(ref, FULL_MAP) is None


@pytest.mark.parametrize("ref", ["node:iron-alpine", "docker.io/library/node:20.11.1-alpine3.19",
                                 "python:2.7.18", "ghcr.io/someone/node:20", "registry.local:5000/python:3.12",
                                 "node:argon"])
def test_other_images_spelled_like_official_ones_are_not_mapped(ref: str) -> None:
    assert lookup(ref, FULL_MAP) is None


def test_the_reference_as_written_wins_over_its_other_spellings() -> None:
    m = {**FULL_MAP, "node:20.11.1": "localhost/my-node:20.11.1"}
    assert lookup("node:20.11.1", m) == "localhost/my-node:20.11.1"
    assert lookup("docker.io/library/node:20.11.1", m) == "localhost/my-node:20.11.1"


def test_a_codename_tag_is_reported_with_its_major() -> None:
    assert "not proven on 20" in (stood_in("node:iron-slim", {"Node.js": "18.19.0"}) or "")


@pytest.mark.parametrize("ref", ["python:2.7", "python:2.7-slim", "node:8"])
def test_another_major_or_a_runtime_too_old_is_not_mapped(ref: str) -> None:
    assert lookup(ref, FULL_MAP) is None


@pytest.mark.parametrize("ref", ["python:3.12-alpine", "node:22-alpine3.20", "alpine:3.20", "golang:1.22-alpine"])
def test_alpine_is_never_mapped_onto_a_debian_standin(ref: str) -> None:
    assert lookup(ref, {**FULL_MAP, "*": "localhost/codi-standin/debian-slim:bookworm"}) is None
    assert lookup(ref, {ref: "localhost/my-own-alpine:1"}) == "localhost/my-own-alpine:1"  # a real local image


def test_a_slim_tag_is_not_mapped_onto_the_full_standin() -> None:
    full_only = {k: v for k, v in FULL_MAP.items() if v.endswith("/python:bookworm")}
    assert lookup("python:3.12-slim", full_only) is None


def test_a_candidate_on_alpine_is_not_provable_here(tmp_path: Path) -> None:
    engine = FakeEngine(missing={"python:3.12-alpine"})
    got = measure_dockerfile(engine, tmp_path, "FROM python:3.12-alpine\nCMD [\"python\"]\n", "t",
                             BuildSettings(base_map=FULL_MAP))
    assert got.error is not None and got.error.startswith("not provable here") and "Alpine" in got.error
    assert engine.built == []


def test_runtime_versions_and_what_stood_in_for_which_tag() -> None:
    status = ("Package: python3\nStatus: install ok installed\nVersion: 3.11.2-1+b1\n\n"
              "Package: nodejs\nStatus: install ok installed\nVersion: 18.19.0+dfsg-6~deb12u2\n\n"
              "Package: golang-go\nStatus: deinstall ok config-files\nVersion: 2:1.19~1\n")
    assert versions_from_status(status) == {"Python": "3.11.2", "Node.js": "18.19.0"}
    assert upstream("2:1.19~1") == "1.19"
    said = stood_in("python:3.12-slim", {"Python": "3.11.2"})
    assert said == "Python 3.11.2 stood in for python:3.12-slim (the tag names 3.12: not proven on 3.12)"
    assert stood_in("python:3.11-slim", {"Python": "3.11.2"}) == "Python 3.11.2 stood in for python:3.11-slim"
    assert stood_in("node:lts", {"Node.js": "18.19.0"}) == "Node.js 18.19.0 stood in for node:lts"


@pytest.mark.skipif(shutil.which("sh") is None, reason="no /bin/sh")
@pytest.mark.parametrize(("argv", "runs"), [
    (["server.js"], "node server.js"),  # a file that is not executable: node runs it
    (["-e", "1"], "node -e 1"),  # an option: node's
    ([], "node"),
    (["echo", "hi"], "hi"),  # a command: as given
])
def test_node_entrypoint_shim_behaves_like_the_official_one(tmp_path: Path, argv: list[str], runs: str) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "node").write_text('#!/bin/sh\necho node "$@"\n')
    (bin_dir / "node").chmod(0o755)
    shim = tmp_path / "docker-entrypoint.sh"
    shim.write_text(ENTRYPOINT_SHIM)
    (tmp_path / "server.js").write_text("")
    env = {**os.environ, "PATH": f"{bin_dir}:/usr/bin:/bin"}
    out = subprocess.run(["sh", str(shim), *argv], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=10)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == runs


def _pem(body: str) -> str:
    return f"-----BEGIN CERTIFICATE-----\n{body}\n-----END CERTIFICATE-----\n"


def test_only_the_certificates_the_distribution_lacks_are_extra(tmp_path: Path) -> None:
    distro = tmp_path / "share"
    (distro / "mozilla").mkdir(parents=True)
    (distro / "mozilla" / "A.crt").write_text(_pem("QUFB"))
    bundle = tmp_path / "bundle.pem"
    bundle.write_text(_pem("QUFB") + _pem("Q09SUA==") + _pem("Q09SUA=="))
    assert certificates(bundle.read_text()) == ["QUFB", "Q09SUA=="]
    found = extras(bundle, distro)
    assert found.certs == ["Q09SUA=="] and len(found.digest) == 16


def test_the_bundle_is_mounted_only_for_standins_without_its_extra_cas(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CODI_BASES_DIR", str(tmp_path))
    monkeypatch.setattr("codi.imagebuild.trust.DISTRO_CERTS", tmp_path / "no-distro")
    bundle = tmp_path / "bundle.pem"
    bundle.write_text(_pem("Q09SUA=="))
    refs = ["localhost/codi-standin/python-slim:bookworm"]
    got = plan(bundle, "default", True, refs, can_mount=True)
    assert got.mounts == [(bundle, BUNDLE_IN_IMAGE)] and got.info["mounted"] is True
    assert plan(bundle, "default", False, refs, can_mount=True).mounts == []  # no network: nothing downloaded
    docker = plan(bundle, "default", True, refs, can_mount=False)
    assert docker.mounts == [] and "bootstrap" in str(docker.info["why"])
    (tmp_path / "python-slim-bookworm.stamp").write_text("abc\n")
    record_baked(tmp_path, "python-slim", "bookworm", extras(bundle).digest)  # made with the bundle's CAs
    assert plan(bundle, "default", True, refs, can_mount=True).mounts == []
    # The tarball was made again (another stamp) without recording its CAs: not trusted to hold them.
    (tmp_path / "python-slim-bookworm.stamp").write_text("def\n")
    assert plan(bundle, "default", True, refs, can_mount=True).mounts != []
    assert plan(None, "--ca-bundle", True, refs, can_mount=True).mounts == []


def test_tools_with_a_ca_store_of_their_own_are_sent_to_the_image_bundle(tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """poetry (requests with certifi) failed with CERTIFICATE_VERIFY_FAILED where pip, which reads the system
    bundle, installed: with extra CAs and the build network, stand-in stages get REQUESTS_CA_BUNDLE and
    SSL_CERT_FILE as ARGs (RUN steps only, never the image config), whether or not the bundle is mounted."""
    from codi.imagebuild.measure_image import tool_ca_args

    monkeypatch.setenv("CODI_BASES_DIR", str(tmp_path))
    monkeypatch.setattr("codi.imagebuild.trust.DISTRO_CERTS", tmp_path / "no-distro")
    bundle = tmp_path / "bundle.pem"
    bundle.write_text(_pem("Q09SUA=="))
    refs = ["localhost/codi-standin/python:bookworm"]
    assert plan(bundle, "default", True, refs, can_mount=True).tool_env
    assert plan(bundle, "default", True, refs, can_mount=False).tool_env
    assert not plan(bundle, "default", False, refs, can_mount=True).tool_env  # nothing downloaded
    plain = tmp_path / "plain.pem"
    plain.write_text("")
    assert not plan(plain, "default", True, refs, can_mount=True).tool_env  # no extra CA: certifi will do
    text = ("FROM localhost/codi-standin/python:bookworm AS build\nRUN pip install poetry\n"
            "FROM build AS test\nRUN poetry install\n"
            "FROM registry.example/other:1\nRUN true\n"
            "FROM localhost/codi-standin/python-slim:bookworm\nARG SSL_CERT_FILE\nCMD [\"python\"]\n")
    lines = tool_ca_args(text).splitlines()
    want = [f"ARG REQUESTS_CA_BUNDLE={BUNDLE_IN_IMAGE}", f"ARG SSL_CERT_FILE={BUNDLE_IN_IMAGE}"]
    assert lines[1:3] == want and lines[5:7] == want  # a stand-in stage, and one built on it
    assert lines[8:11] == ["FROM registry.example/other:1", "RUN true", "FROM localhost/codi-standin/python-slim:bookworm"]
    assert lines[11] == "ARG SSL_CERT_FILE"  # the Dockerfile declares it: left alone


def test_standin_hooks_write_the_shim_and_the_usr_local_names(tmp_path: Path) -> None:
    from codi.imagebuild.shims import NODE_HOOKS, PYTHON_HOOKS

    root = tmp_path / "root"
    (root / "usr" / "local" / "bin").mkdir(parents=True)
    for hook in (*NODE_HOOKS, *PYTHON_HOOKS):
        subprocess.run(["sh", "-c", hook, "hook", str(root)], check=True, timeout=10)
    shim = root / "usr" / "local" / "bin" / "docker-entrypoint.sh"
    assert shim.read_text() == ENTRYPOINT_SHIM and os.access(shim, os.X_OK)
    assert os.readlink(root / "usr" / "local" / "bin" / "python") == "/usr/bin/python3"
    assert os.readlink(root / "usr" / "local" / "bin" / "npm") == "/usr/bin/npm"


def test_versions_of_a_standin_bootstrapped_before_are_read_from_its_tarball_once(tmp_path: Path) -> None:
    import io
    import tarfile

    from codi.imagebuild.runtimes import known, sidecar

    status = b"Package: nodejs\nStatus: install ok installed\nVersion: 18.19.0+dfsg-6~deb12u2\n"
    with tarfile.open(tmp_path / "node-slim-bookworm.tar", "w") as tar:
        info = tarfile.TarInfo("./var/lib/dpkg/status")
        info.size = len(status)
        tar.addfile(info, io.BytesIO(status))
    assert not sidecar(tmp_path, "node-slim", "bookworm").exists()
    assert known(tmp_path, "node-slim", "bookworm") == {"Node.js": "18.19.0"}
    assert sidecar(tmp_path, "node-slim", "bookworm").is_file()  # kept: the next run does not read the tarball
    assert known(tmp_path, "python", "bookworm") == {}  # no tarball, no record: nothing claimed
