"""The S3-compatible store: codi.store.s3, named here for codi.fleet's modules."""

from codi.store.s3 import WRITE_ONCE, S3Store

__all__ = ["WRITE_ONCE", "S3Store"]
