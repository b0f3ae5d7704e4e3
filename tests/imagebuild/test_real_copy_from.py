"""A real build of uv's documented set-up, `COPY --from=ghcr.io/astral-sh/uv:<version> /uv /uvx /bin/`, with the
uv stand-in (uv's binaries from its wheel, `codi bases bootstrap --only python`) standing in for uv's image.

No network: the build only runs the copied binary. Skipped, with the reason, where real builds cannot run
here or the stand-ins are not bootstrapped (`make test-bases`).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from realbuild import why_not_real_builds

from codi.imagebuild.basemap import load_base_map, lookup
from codi.imagebuild.buildah import BuildahEngine
from codi.imagebuild.measure_image import BuildSettings, measure_dockerfile
from codi.imagebuild.standins import UV_VERSION

WHY_NOT = why_not_real_builds()
pytestmark = pytest.mark.skipif(WHY_NOT is not None, reason=f"real buildah builds unavailable: {WHY_NOT}")


def test_a_copy_from_uvs_image_builds_on_the_uv_standin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CODI_BASE_MAP", raising=False)
    engine = BuildahEngine()
    base_map, _ = load_base_map(None)
    for ref in ("python:3.12-slim", "ghcr.io/astral-sh/uv:0.5.11"):
        target = lookup(ref, base_map)
        if target is None or not engine.exists(target):
            pytest.skip(f"no local stand-in for {ref} (`make test-bases`)")
    (tmp_path / "app").mkdir()
    # The build fails unless the copied uv runs and is the stand-in's version.
    text = ("FROM python:3.12-slim\nCOPY --from=ghcr.io/astral-sh/uv:0.5.11@sha256:0123 /uv /uvx /bin/\n"
            f"RUN uv --version | grep -qx 'uv {UV_VERSION}.*' && uvx --version\nCMD [\"python\"]\n")
    tag = "localhost/codi-test/uv-copy:1"
    got = measure_dockerfile(engine, tmp_path / "app", text, tag, BuildSettings(base_map=base_map, rebuild=False,
                                                                                 smoke=False))
    try:
        assert got.error is None, (got.error, got.log_tail)
        assert got.bases_used["ghcr.io/astral-sh/uv:0.5.11@sha256:0123"] == "localhost/codi-standin/uv:bookworm"
    finally:
        engine.remove([tag, *got.images])
