"""Names BuildKit defines for every build."""

from __future__ import annotations

# ARGs BuildKit defines for every build: FROM lines see them without a global ARG; inside a
# stage they still need `ARG NAME` to be in scope.
BUILTIN_ARGS = frozenset({
    "TARGETPLATFORM", "TARGETOS", "TARGETARCH", "TARGETVARIANT",
    "BUILDPLATFORM", "BUILDOS", "BUILDARCH", "BUILDVARIANT", "TARGETSTAGE",
})
