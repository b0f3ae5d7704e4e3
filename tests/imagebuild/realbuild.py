"""Whether real buildah builds can run here (the tests that need them skip with this reason)."""

from __future__ import annotations

import os
import shutil

from codi.imagebuild.buildah import BuildahEngine


def why_not_real_builds() -> str | None:
    if os.environ.get("CODI_SKIP_REAL_BUILDS") == "1":
        return "CODI_SKIP_REAL_BUILDS=1"
    if shutil.which("mmdebstrap") is None:
        return "mmdebstrap is not installed (apt-get install -y buildah mmdebstrap)"
    return BuildahEngine().available()
