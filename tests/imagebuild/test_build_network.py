"""Issue 24: the build network (opt-in, recorded, refused in air-gap mode), failures said plainly and
failed closed, the candidates skipped after the original failed for want of network or CA trust."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from fake_engine import FakeEngine, go_project, use_engine
from typer.testing import CliRunner

from codi.cli.app import app
from codi.cli.main import _COMMAND_MODULES
from codi.imagebuild.engine import BuildOutcome, EngineError
from codi.imagebuild.failures import CA, COMMAND, NETWORK, RUNTIME, STOPS, classify
from codi.imagebuild.measure_image import bound_retries

PIP_LOG = """STEP 3/4: RUN pip install flask==3.0.3
WARNING: Retrying (Retry(total=4, connect=None, read=None, redirect=None, status=None)) after connection broken by 'NewConnectionError('<pip._vendor.urllib3.connection.HTTPSConnection object at 0x7f>: Failed to establish a new connection: [Errno -3] Temporary failure in name resolution')': /simple/flask/
ERROR: Could not find a version that satisfies the requirement flask==3.0.3 (from versions: none)
ERROR: No matching distribution found for flask==3.0.3
Error: building at STEP "RUN pip install flask==3.0.3": exit status 1
"""


@pytest.mark.parametrize(("log", "kind"), [
    (PIP_LOG, NETWORK),
    ("npm error code EAI_AGAIN\nnpm error syscall getaddrinfo\nnpm error errno EAI_AGAIN", NETWORK),
    ("curl: (6) Could not resolve host: deb.nodesource.com", NETWORK),
    ("Could not fetch URL https://pypi.org/simple/x/: There was a problem confirming the ssl certificate: "
     "HTTPSConnectionPool(host='pypi.org', port=443): Max retries exceeded (Caused by SSLError("
     "SSLCertVerificationError(1, '[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: unable to get "
     "local issuer certificate (_ssl.c:1006)')))", CA),
    ("npm error code SELF_SIGNED_CERT_IN_CHAIN\nnpm error errno SELF_SIGNED_CERT_IN_CHAIN", CA),
    ("go: github.com/x/y@v1: Get https://proxy.golang.org/...: x509: unable to get local issuer certificate", CA),
])
def test_classifier_names_network_and_ca_failures(log: str, kind: str) -> None:
    got = classify(log)
    assert got is not None and got.kind == kind
    assert got.evidence and got.evidence in log
    assert ("--build-network" if kind == NETWORK else "--ca-bundle") in got.advice


@pytest.mark.parametrize("log", [
    "STEP 4/7: RUN yarn install --frozen-lockfile\n/bin/sh: 1: yarn: not found\nsubprocess exited with status 127",
    "bash: line 1: pnpm: command not found",
    'error running container: exec: "yarn": executable file not found in $PATH',
])
def test_classifier_names_a_command_the_base_lacks(log: str) -> None:
    got = classify(log)
    assert got is not None and got.kind == COMMAND and got.evidence in log
    assert "CODI_BASE_MAP" in got.advice


def test_a_name_that_does_not_resolve_with_the_build_network_on_is_a_host_this_machine_cannot_reach() -> None:
    log = ('go: github.com/google/uuid@v1.6.0: Get "https://proxy.golang.org/github.com/google/uuid/@v/v1.6.0.mod": '
           "dial tcp: lookup proxy.golang.org on 10.255.255.53:53: no such host")
    online, offline = classify(log, offline=False), classify(log, offline=True)
    assert online is not None and offline is not None and online.kind == offline.kind == NETWORK
    assert "--build-network" in offline.advice and "--build-network" not in online.advice
    assert "cannot reach" in online.advice and "GOPROXY" in online.advice


@pytest.mark.parametrize("log", [
    "go: errors parsing go.mod:\n/src/go.mod:3: invalid go version '1.22.0': must match format 1.23\n",
    "go: go.mod requires go >= 1.25.0 (running go 1.23.5; GOTOOLCHAIN=local)",
    "ERROR: Package 'app' requires a different Python: 3.11.2 not in '>=3.12'",
    'error vite@7.1.0: The engine "node" is incompatible with this module. Expected version "^20.19.0". Got "18.19.0"',
    "npm error code EBADENGINE\nnpm error engine Unsupported engine",
])
def test_classifier_names_a_runtime_older_than_the_project_needs(log: str) -> None:
    got = classify(log)
    assert got is not None and got.kind == RUNTIME and got.evidence in log
    assert "newer language runtime" in got.advice and RUNTIME not in STOPS  # a candidate may use another base


def test_classifier_leaves_other_failures_alone() -> None:
    assert classify("COPY failed: file not found in build context: requirements.txt") is None
    assert classify("error: externally-managed-environment") is None
    assert classify("npm error 404 Not Found - GET https://registry.npmjs.org/nope") is None


def test_an_index_with_no_version_at_all_is_the_network_only_offline() -> None:
    log = ("ERROR: Could not find a version that satisfies the requirement six==1.16.0 (from versions: none)\n"
           "ERROR: No matching distribution found for six==1.16.0\n")
    assert classify(log) is None  # with network: a wrong name or pin
    got = classify(log, offline=True)
    assert got is not None and got.kind == NETWORK


def test_offline_builds_bound_npm_and_pip_retries_in_the_stages_that_run_them() -> None:
    text = ("FROM node:22-slim AS deps\nRUN npm ci\n"
            "FROM python:3.12-slim\nRUN pip install flask\n"
            "FROM debian:12-slim\nRUN echo hi\n")
    out = bound_retries(text).splitlines()
    assert out[:2] == ["FROM node:22-slim AS deps", "ARG npm_config_fetch_retries=0"]
    assert out[out.index("FROM python:3.12-slim") + 1] == "ARG PIP_RETRIES=1"
    assert out[out.index("FROM debian:12-slim") + 1] == "RUN echo hi"  # no npm, no pip: untouched
    assert not any(line.startswith("ENV") for line in out)  # ARGs: never in the image config
    plain = "FROM debian:12-slim\nRUN echo hi\n"
    assert bound_retries(plain) == plain


class _NoNetworkEngine(FakeEngine):
    """Every build fails as pip does without network."""

    def build(self, context: Path, dockerfile: Path, tag: str, timeout: float, network: bool,
              no_cache: bool = False, build_args: Mapping[str, str] | None = None, **kw: Any) -> BuildOutcome:
        self.built.append((tag, network, no_cache))
        self.texts.append(dockerfile.read_text())
        raise EngineError("build failed (exit 1)", PIP_LOG, classify(PIP_LOG))


def _cli() -> CliRunner:
    import importlib

    for name in _COMMAND_MODULES:
        importlib.import_module(f"codi.cli.{name}")
    return CliRunner()


def _run_args(project: Path, tmp_path: Path, *extra: str) -> list[str]:
    return ["run", str(project), "--real", "--no-llm", "--disable-rag", "--out", str(tmp_path / "runs"), *extra]


def _failed_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, engine: FakeEngine) -> str:
    """`codi run --real` of a go project on ``engine``, which fails it: the last line it printed."""
    project = go_project(tmp_path, monkeypatch, None)
    use_engine(monkeypatch, engine)
    got = _cli().invoke(app, _run_args(project, tmp_path))
    assert got.exit_code == 1, got.output
    return str(got.stderr.strip().splitlines()[-1])


def _env(tmp_path: Path) -> dict[str, Any]:
    run_dir = next(p for p in (tmp_path / "runs").iterdir() if p.is_dir() and not p.name.startswith(("_", ".")))
    return dict(json.loads((run_dir / "metadata" / "environment.json").read_text()))


def test_original_failing_for_want_of_network_skips_candidates_and_fails_the_run(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    engine = _NoNetworkEngine()
    last = _failed_run(tmp_path, monkeypatch, engine)
    assert last.startswith("codi: error: --real: the original could not be built") and "--build-network" in last
    assert [tag.rsplit(":", 1)[-1] for tag, _, _ in engine.built] == ["original"]  # candidates skipped
    env = _env(tmp_path)
    assert env["engine"]["original_failure"]["kind"] == NETWORK
    assert env["engine"]["failed_check"].startswith("--real: the original could not be built")
    assert env["engine"]["build_network"] is False
    run_dir = next(p for p in (tmp_path / "runs").iterdir() if p.is_dir() and not p.name.startswith(("_", ".")))
    run = json.loads((run_dir / "metadata" / "run.json").read_text())
    assert run["notes"][0].startswith("MEASUREMENT FAILED")
    report = (run_dir / "reports" / "report.md").read_text()
    assert "MEASUREMENT FAILED" in report


def test_build_network_is_refused_in_air_gap_mode(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project = go_project(tmp_path, monkeypatch, None)
    engine = use_engine(monkeypatch, FakeEngine())
    monkeypatch.delenv("AIRGAP", raising=False)
    got = _cli().invoke(app, _run_args(project, tmp_path, "--build-network"))
    assert got.exit_code == 2, got.output
    assert "AIRGAP=false" in got.stderr and len(got.stderr.strip().splitlines()) == 1
    assert engine.built == []
    monkeypatch.setenv("CODI_BUILD_NETWORK", "1")  # the environment turns it on just the same
    got = _cli().invoke(app, _run_args(project, tmp_path))
    assert got.exit_code == 2 and "CODI_BUILD_NETWORK" in got.stderr
    # Without --real nothing is built: the setting is not refused.
    got = _cli().invoke(app, ["run", str(project), "--no-llm", "--disable-rag", "--out", str(tmp_path / "runs")])
    assert got.exit_code == 0, got.output


def test_build_network_is_recorded_and_reaches_the_engine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project = go_project(tmp_path, monkeypatch, None)
    engine = use_engine(monkeypatch, FakeEngine())
    monkeypatch.setenv("AIRGAP", "false")
    monkeypatch.setenv("CODI_CA_BUNDLE", "none")
    got = _cli().invoke(app, _run_args(project, tmp_path, "--build-network"))
    assert got.exit_code == 0, got.output
    assert engine.built and all(network for _, network, _ in engine.built)
    env = _env(tmp_path)["engine"]
    assert env["build_network"] is True and env["build_network_source"] == "--build-network"
    assert "--build-network" in env["network"] and "never pulled" in env["network"]
    assert env["ca"]["mounted"] is False and env["ca"]["source"] == "env CODI_CA_BUNDLE"


def test_a_missing_ca_bundle_is_a_usage_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project = go_project(tmp_path, monkeypatch, None)
    use_engine(monkeypatch, FakeEngine())
    got = _cli().invoke(app, _run_args(project, tmp_path, "--ca-bundle", str(tmp_path / "nope.pem")))
    assert got.exit_code == 2 and "no such CA bundle" in got.stderr


def test_no_engine_with_real_fails_the_check(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project = go_project(tmp_path, monkeypatch, None)
    monkeypatch.setattr("codi.service.measure.detect_engine", lambda name: (None, "no build engine: none here"))
    got = _cli().invoke(app, _run_args(project, tmp_path))
    assert got.exit_code == 1
    assert got.stderr.strip().splitlines()[-1].startswith("codi: error: --real: nothing was built: no build engine")


class _NoYarnEngine(FakeEngine):
    """The original's RUN needs a command the base lacks; the candidates build."""

    def build(self, context: Path, dockerfile: Path, tag: str, timeout: float, network: bool,
              no_cache: bool = False, build_args: Mapping[str, str] | None = None, **kw: Any) -> BuildOutcome:
        if tag.endswith(":original"):
            self.built.append((tag, network, no_cache))
            log = "/bin/sh: 1: yarn: not found\nsubprocess exited with status 127"
            raise EngineError("build failed (exit 127)", log, classify(log))
        return super().build(context, dockerfile, tag, timeout, network, no_cache, build_args)


def test_a_command_missing_from_the_base_is_said_and_does_not_skip_the_candidates(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    engine = _NoYarnEngine()
    last = _failed_run(tmp_path, monkeypatch, engine)
    assert "could not be built" in last and "CODI_BASE_MAP" in last and "yarn: not found" in last
    assert len(engine.built) > 1  # a candidate may not run that command: each is still tried
    assert _env(tmp_path)["engine"]["original_failure"]["kind"] == COMMAND
