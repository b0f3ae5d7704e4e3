"""A real buildah build whose RUN installs a package from PyPI: the build network and the host's CA bundle
mounted read-only (issue 24), and nothing of the bundle in the image (checked by digest).

Slow. Skipped, with the reason, where buildah cannot run, without the python-slim stand-in (`codi bases
bootstrap --only python`), or when PyPI cannot be reached from this machine.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from realbuild import unreachable, why_not_real_builds

from codi.config.build import DEFAULT_CA_BUNDLE
from codi.imagebuild.bases import STANDINS, apt_mirror, image_ref
from codi.imagebuild.buildah import BuildahEngine
from codi.imagebuild.engine import EngineError, run_cmd
from codi.imagebuild.failures import CA, classify
from codi.imagebuild.trust import BUNDLE_IN_IMAGE

WHY_NOT = why_not_real_builds()
pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(WHY_NOT is not None, reason=f"real buildah builds unavailable: {WHY_NOT}")]
PACKAGE = "six==1.16.0"  # one small pure-Python wheel
DOCKERFILE = "FROM {base}\nRUN pip install --no-cache-dir --retries 0 --timeout 20 " + PACKAGE + "\n"


def _pypi() -> str | None:
    return unreachable("https://pypi.org/simple/six/")


def _sha256(engine: BuildahEngine, ref: str, path: str) -> str:
    container = run_cmd(["buildah", "from", "--pull=never", ref], 120).output.strip().splitlines()[-1]
    try:
        out = run_cmd(["buildah", "run", "--isolation", "chroot", container, "--", "sha256sum", path], 120)
        assert out.rc == 0, out.output
        return out.output.split()[0]
    finally:
        engine.stop(container)


def _engine_and_base() -> tuple[BuildahEngine, str]:
    """The engine and the python-slim stand-in, when it exists here and PyPI can be reached (else skip)."""
    engine = BuildahEngine()
    base = image_ref(next(s for s in STANDINS if s.key == "python-slim"), apt_mirror()[1])
    if not engine.exists(base):
        pytest.skip(f"no {base}: run `codi bases bootstrap --only python`")
    why = _pypi()
    if why:
        pytest.skip(why)
    return engine, base


def test_pip_install_with_build_network_and_mounted_ca_leaves_no_trace(tmp_path: Path) -> None:
    engine, base = _engine_and_base()
    if not DEFAULT_CA_BUNDLE.is_file():
        pytest.skip(f"no host CA bundle at {DEFAULT_CA_BUNDLE}")
    (tmp_path / "Dockerfile").write_text(DOCKERFILE.format(base=base))
    tag = "localhost/codi-test/build-network:1"
    mount = [(DEFAULT_CA_BUNDLE, BUNDLE_IN_IMAGE)]
    try:
        engine.build(tmp_path, tmp_path / "Dockerfile", tag, 300, network=True, no_cache=True, mounts=mount)
        # The bundle the RUN step saw is not what the image holds: the image keeps the stand-in's own.
        assert _sha256(engine, tag, BUNDLE_IN_IMAGE) == _sha256(engine, base, BUNDLE_IN_IMAGE)
        assert engine.inspect(tag).layers == engine.inspect(base).layers + 1
        listed = run_cmd(["buildah", "from", "--pull=never", tag], 120).output.strip().splitlines()[-1]
        try:
            got = run_cmd(["buildah", "run", "--isolation", "chroot", listed, "--", "python3", "-c",
                           "import six; print(six.__version__)"], 120)
        finally:
            engine.stop(listed)
        assert got.output.strip().endswith("1.16.0"), got.output
    finally:
        engine.remove([tag])


def test_without_the_mount_an_untrusted_registry_ca_is_named(tmp_path: Path) -> None:
    """Only where TLS to PyPI is re-signed by a CA the stand-in does not trust (as on these machines)."""
    engine, base = _engine_and_base()
    (tmp_path / "Dockerfile").write_text(DOCKERFILE.format(base=base))
    tag = "localhost/codi-test/build-network:2"
    try:
        engine.build(tmp_path, tmp_path / "Dockerfile", tag, 300, network=True, no_cache=True)
    except EngineError as exc:
        failure = exc.failure or classify(exc.log)
        assert failure is not None and failure.kind == CA, exc.log
    else:
        pytest.skip("the stand-in trusts the registry's CA itself (no re-signing here, or CAs baked in)")
    finally:
        engine.remove([tag])
