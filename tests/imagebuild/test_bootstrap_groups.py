"""`codi bases bootstrap` with a stand-in mmdebstrap and engine: a failing group does not stop the others,
the exit status names it, mmdebstrap's output goes to a log file whose tail is shown on failure."""

from __future__ import annotations

import importlib
import itertools
import json
import stat
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest
from fake_engine import FakeEngine
from typer.testing import CliRunner

from codi.cli.app import app
from codi.imagebuild import bases
from codi.imagebuild.bases import FAILED_BASE, GROUP_BITS, GROUPS, STANDINS
from codi.imagebuild.standins import UV_VERSION

# Behaves like mmdebstrap for what bootstrap relies on: lots of apt output, the tarball at argv[-2], and the
# real openjdk failure when /usr/share/man/man1 is not created first (update-alternatives' man page links).
FAKE_MMDEBSTRAP = r'''#!PYTHON
import os
import sys
args = sys.argv[1:]
include = next(a for a in args if a.startswith("--include="))
for n in range(200):
    print(f"Setting up package-{n} ...")
if "openjdk" in include and not any(a.startswith("--essential-hook=") and "usr/share/man/man1" in a for a in args):
    print("update-alternatives: error: error creating symbolic link '/usr/share/man/man1/java.1.gz.dpkg-tmp'")
    sys.exit(1)
if "FAILME" in include:
    print("E: Unable to locate package FAILME")
    sys.exit(1)
if os.environ.get("FAKE_NO_BACKPORTS") and any("-backports" in a for a in args):
    print("E: The value 'bookworm-backports' is invalid for APT::Default-Release")
    sys.exit(100)
open(next(a for a in args if a.endswith(".tar")), "w").write("rootfs")
print("MIRRORS", args[args.index(next(a for a in args if a.endswith(".tar"))) + 1:])
'''


class ImportingEngine(FakeEngine):
    def __init__(self) -> None:
        super().__init__()
        self.missing = {s.key for s in STANDINS}
        self.imported: list[str] = []

    def exists(self, ref: str) -> bool:
        return ref in self.imported

    def import_rootfs(self, tarball: Path, ref: str, changes: list[str]) -> None:
        if "/uv:" in ref:  # a tool image: the wheel's binaries at the root
            with tarfile.open(tarball) as tar:
                assert {(m.name, m.mode) for m in tar} == {("uv", 0o755), ("uvx", 0o755)}
                assert tar.extractfile("uv").read() == b"uv binary"  # type: ignore[union-attr]
        else:
            assert tarball.read_text() == "rootfs"
        self.imported.append(ref)


def fake_wheel(folder: Path, name: str, version: str, scripts: dict[str, bytes]) -> Path:
    """A wheel pip can download from a local folder (``PIP_FIND_LINKS``), its binaries under ``.data/scripts``."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}-{version}-py3-none-any.whl"
    info = f"{name}-{version}.dist-info"
    with zipfile.ZipFile(path, "w") as whl:
        whl.writestr(f"{info}/METADATA", f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
        whl.writestr(f"{info}/WHEEL", "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n")
        for script, data in scripts.items():
            whl.writestr(f"{name}-{version}.data/scripts/{script}", data)
        whl.writestr(f"{info}/RECORD", "")
    return path


@pytest.fixture
def fake_tools(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ImportingEngine:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    script = bin_dir / "mmdebstrap"
    script.write_text(FAKE_MMDEBSTRAP.replace("PYTHON", sys.executable))
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{bin_dir}:{Path(sys.executable).parent}:/usr/bin:/bin")
    monkeypatch.setenv("CODI_BASES_DIR", str(tmp_path / "cache"))
    # The uv stand-in's wheel comes from a local folder: no index is asked (tests touch no network).
    wheels = tmp_path / "wheels"
    fake_wheel(wheels, "uv", UV_VERSION, {"uv": b"uv binary", "uvx": b"uvx binary"})
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(wheels))
    return ImportingEngine()


def _break(monkeypatch: pytest.MonkeyPatch, key: str) -> None:
    standins = tuple(bases.StandIn(s.key, s.group, (*s.packages, "FAILME"), s.names, s.hooks, s.changes)
                     if s.key == key else s for s in STANDINS)
    monkeypatch.setattr(bases, "STANDINS", standins)


def test_every_group_bootstraps_and_the_second_run_is_cached(fake_tools: ImportingEngine) -> None:
    result = bases.bootstrap_all(fake_tools)
    assert [o.status for o in result.outcomes] == ["built"] * len(STANDINS)  # java included (man1 hook)
    assert result.exit_code == 0 and result.failed_groups == []
    assert result.mapping["eclipse-temurin:*-jre*"].endswith("/temurin-jre:" + bases.apt_mirror()[1])
    log = result.log_path.read_text()
    assert "Setting up package-199" in log and "===== maven (group java) =====" in log
    again = bases.bootstrap_all(fake_tools)
    assert [o.status for o in again.outcomes] == ["cached"] * len(STANDINS)
    assert again.log_path != result.log_path


def test_a_failing_group_does_not_stop_the_others(fake_tools: ImportingEngine,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    _break(monkeypatch, "node-slim")
    result = bases.bootstrap_all(fake_tools)
    status = {o.standin.key: o.status for o in result.outcomes}
    assert status["node-slim"] == "failed"
    assert all(v == "built" for k, v in status.items() if k != "node-slim"), status
    assert result.failed_groups == ["node"] and result.exit_code == FAILED_BASE + GROUP_BITS["node"]
    failed = next(o for o in result.outcomes if o.status == "failed")
    assert "Unable to locate package FAILME" in failed.log_tail and "package-199" in failed.log_tail
    assert "node:20-slim" not in result.mapping and "node:20" in result.mapping
    with pytest.raises(bases.EngineError, match="node-slim"):  # the library call still raises
        bases.bootstrap(fake_tools, ["node"])


def test_exit_codes_are_distinct_per_group_set() -> None:
    assert set(GROUP_BITS) == set(GROUPS)
    subsets = [c for n in range(1, len(GROUPS) + 1) for c in itertools.combinations(GROUPS, n)]
    codes = {FAILED_BASE + sum(GROUP_BITS[g] for g in subset) for subset in subsets}
    assert len(codes) == len(subsets) and min(codes) > FAILED_BASE and max(codes) < 126  # not the shell's own


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch, fake_tools: ImportingEngine) -> CliRunner:
    build_cmds = importlib.import_module("codi.cli.build_cmds")
    monkeypatch.setattr(build_cmds, "_engine", lambda name: fake_tools)
    return CliRunner()


def test_cli_exit_code_names_the_failed_group(runner: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    _break(monkeypatch, "python")
    result = runner.invoke(app, ["bases", "bootstrap", "--only", "python,go"])
    assert result.exit_code == FAILED_BASE + GROUP_BITS["python"], result.output
    out = result.stdout
    assert "log: " in out and "base map: " in out
    err = result.stderr
    assert "[1/4] python-slim: built" in err and "[2/4] python: FAILED" in err and "[3/4] uv: built" in err
    assert "[4/4] golang: built" in err
    assert "last lines of its log" in err and "Unable to locate package FAILME" in err
    assert "group(s) failed: python (exit 48" in err
    assert "Setting up package-5 " not in result.output  # apt's output stays in the log file


def test_cli_json_and_success(runner: CliRunner) -> None:
    result = runner.invoke(app, ["bases", "bootstrap", "--only", "java", "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert [s["status"] for s in payload["standins"]] == ["built", "built"]
    assert payload["failed_groups"] == [] and Path(payload["log"]).is_file()
    assert payload["bases"]["maven:*"].startswith("localhost/codi-standin/maven:")


def test_help_documents_the_exit_codes(runner: CliRunner) -> None:
    text = runner.invoke(app, ["bases", "bootstrap", "--help"]).output
    assert "32" in text and "java 4" in text


def test_the_base_map_grows_as_each_standin_is_built(fake_tools: ImportingEngine) -> None:
    seen: list[bool] = []

    class Watch:
        def step(self, standin: bases.StandIn, text: str) -> None:
            pass

        def done(self, outcome: bases.StandInOutcome) -> None:
            seen.append(f'"{outcome.standin.names[0]}" = "{outcome.ref}"' in (bases.cache_dir() / "bases.toml").read_text())

    bases.bootstrap_all(fake_tools, ["python"], progress=Watch())
    assert seen == [True, True, True]


def test_the_bundles_extra_cas_go_into_the_standins_and_another_bundle_makes_them_again(
        fake_tools: ImportingEngine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from codi.config.build import Setting
    from codi.imagebuild.trust import baked

    distro = tmp_path / "distro"
    distro.mkdir()
    (distro / "mozilla.crt").write_text("-----BEGIN CERTIFICATE-----\nQUFB\n-----END CERTIFICATE-----\n")
    monkeypatch.setattr("codi.imagebuild.trust.DISTRO_CERTS", distro)
    bundle = tmp_path / "bundle.pem"
    bundle.write_text((distro / "mozilla.crt").read_text() + "-----BEGIN CERTIFICATE-----\nQ09SUA==\n"
                      "-----END CERTIFICATE-----\n")
    result = bases.bootstrap_all(fake_tools, ["debian"], ca_bundle=Setting(bundle, "--ca-bundle"))
    assert [o.status for o in result.outcomes] == ["built"] and result.ca_certificates == 1
    log = result.log_path.read_text()
    assert "--customize-hook=copy-in" in log and 'chroot "$1" update-ca-certificates' in log
    copied = list((bases.cache_dir() / "codi-host-ca").glob("*.crt"))
    assert len(copied) == 1 and "Q09SUA==" in copied[0].read_text()  # only the extra one
    ref = result.outcomes[0].ref
    assert baked(ref) not in (None, "")
    same = bases.bootstrap_all(fake_tools, ["debian"], ca_bundle=Setting(bundle, "--ca-bundle"))
    assert [o.status for o in same.outcomes] == ["cached"]
    none = bases.bootstrap_all(fake_tools, ["debian"], ca_bundle=Setting(None, "--ca-bundle"))
    assert [o.status for o in none.outcomes] == ["built"] and baked(ref) == ""


def test_the_uv_standin_is_uvs_binaries_from_its_wheel_and_says_so(fake_tools: ImportingEngine) -> None:
    result = bases.bootstrap_all(fake_tools, ["python"])
    uv = next(o for o in result.outcomes if o.standin.key == "uv")
    log = result.log_path.read_text()
    assert uv.status == "built" and "-m pip download --no-deps --only-binary=:all:" in log and f"uv=={UV_VERSION}" in log
    assert result.mapping["ghcr.io/astral-sh/uv:[0-9].[0-9]"] == uv.ref
    assert f"uv {UV_VERSION}'s /uv and /uvx" in bases.summary(uv)
    from codi.imagebuild.standins import stood_in
    assert stood_in("ghcr.io/astral-sh/uv:0.5.11", uv.ref) == (
        f"uv {UV_VERSION} stood in for ghcr.io/astral-sh/uv:0.5.11 (the tag names 0.5.11: not proven on 0.5.11)")


def test_a_wheel_that_cannot_be_had_or_lacks_the_binary_fails_that_standin_only(
        fake_tools: ImportingEngine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PIP_FIND_LINKS", str(tmp_path / "no-wheels-here"))
    result = bases.bootstrap_all(fake_tools, ["python"])
    status = {o.standin.key: (o.status, o.error) for o in result.outcomes}
    assert status["uv"] == ("failed", f"pip could not download the uv=={UV_VERSION} wheel for uv (exit 1)")
    assert status["python"][0] == "built" and result.failed_groups == ["python"]
    fake_wheel(tmp_path / "bad", "uv", UV_VERSION, {"uv": b"uv binary"})  # no uvx
    monkeypatch.setenv("PIP_FIND_LINKS", str(tmp_path / "bad"))
    again = bases.bootstrap_all(fake_tools, ["python"])
    uv = next(o for o in again.outcomes if o.standin.key == "uv")
    assert uv.status == "failed" and "has no uvx binary" in uv.error
    assert not list(bases.cache_dir().glob("uv-*.partial.tar"))  # nothing half-written is left


def test_go_comes_from_backports_and_without_them_from_the_suite(fake_tools: ImportingEngine,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    mirror, suite = bases.apt_mirror()
    result = bases.bootstrap_all(fake_tools, ["go"])
    log = result.log_path.read_text()
    assert [o.status for o in result.outcomes] == ["built"]
    assert f'--aptopt=APT::Default-Release "{suite}-backports"' in log
    assert f"MIRRORS ['{mirror}', 'deb {mirror} {suite}-backports main']" in log
    monkeypatch.setenv("FAKE_NO_BACKPORTS", "1")
    (bases.cache_dir() / f"golang-{suite}.stamp").unlink()  # made again
    again = bases.bootstrap_all(fake_tools, ["go"])
    log = again.log_path.read_text()
    assert [o.status for o in again.outcomes] == ["built"]
    assert f"golang: not with {suite}-backports (mmdebstrap failed for golang (exit 100)); again with {suite} only" in log
    assert f"MIRRORS ['{mirror}']" in log
