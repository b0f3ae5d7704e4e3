"""Approximate uncompressed sizes of base images, for *estimated* numbers only.

The sizes come from CODI's base-image database (``codi.imagedb``, one entry per repository and
tag variant, with the sources of each fact): the uncompressed linux/amd64 size of the official
images, rounded to the MB. They drift with every upstream release, so every number derived from
them is labelled "estimated"; `codi run --real` measures instead.
"""

from __future__ import annotations

from codi.imagedb import database_version, lookup

SIZE_TABLE_DATE = "2026-11"
SIZE_TABLE_SOURCE = (
    "codi.imagedb base-image database: uncompressed linux/amd64 size of each tag variant "
    "(docker image ls of the official images), rounded; approximate"
)
MB = 1_000_000


def size_table_version() -> str:
    """Version of the database the sizes come from (``YYYY.MM.N``)."""
    return database_version()


def base_image_bytes(ref: str | None) -> int | None:
    """Approximate size of ``ref`` in bytes, or None when the database does not know it."""
    if not ref:
        return None
    config = lookup(ref)
    if config is None or config.size_mb is None:
        return None
    return config.size_mb * MB
