"""Constants and helpers shared by the API tests (imported by conftest.py and the test modules)."""

from __future__ import annotations

from pathlib import Path

from codi.api.settings import ApiSettings

REPO = Path(__file__).resolve().parents[2]
KEY = "test-key-0123456789abcdef"
OTHER_KEY = "second-key-fedcba9876543210"


def make_settings(roots: dict[str, Path], keys: list[str] | None = None, max_body: int = 8 * 1024 * 1024) -> ApiSettings:
    return ApiSettings(keys=[KEY, OTHER_KEY] if keys is None else keys, allowed_roots=[roots["allowed"].resolve()],
                       runs_root=roots["runs"], max_body=max_body, job_workers=2)
