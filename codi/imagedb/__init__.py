"""Offline knowledge of base images: their config (Env, Entrypoint, Cmd, User, WorkingDir, ...),
os family, runtime version and approximate size, from a versioned data file with sources.

``lookup("python:3.12-slim")`` -> ``ImageConfig`` (None for an image CODI has no facts about).
"""

from codi.imagedb.lookup import ImageDbError, database_version, lookup, normalize_ref
from codi.imagedb.model import ImageConfig, Source

__all__ = ["ImageConfig", "ImageDbError", "Source", "database_version", "lookup", "normalize_ref"]
