"""Fleet scale: `codi scan` over many repositories (manifest, content keys, engine, store, db, report).

Interfaces (``Engine``, ``ResultDB``, ``Store``) are protocols so that other back-ends (Ray,
Postgres, S3) plug in beside the local ones without changing the scan itself.
"""
