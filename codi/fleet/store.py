"""The scan's object store: codi.store (a folder, file://, s3://), named here for codi.fleet's modules."""

from codi.store import LocalStore, Store, StoreError, open_store

__all__ = ["LocalStore", "Store", "StoreError", "open_store"]
