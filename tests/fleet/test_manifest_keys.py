"""Manifest parsing, shards, content keys and the store/db URLs."""

from __future__ import annotations

from pathlib import Path

import pytest

from codi.fleet.db import open_db
from codi.fleet.db_protocol import DBError
from codi.fleet.db_sqlite import SQLiteDB
from codi.fleet.keys import content_key, effective_config
from codi.fleet.manifest import ManifestError, parse_manifest, parse_shard, shard
from codi.store import LocalStore, StoreError, open_store


def test_lines_and_json(tmp_path: Path) -> None:
    specs = parse_manifest("# c\n\nsvc/a\nhttps://git.example/org/b.git\ngit@host:org/c.git\n", tmp_path)
    assert [(s.name, s.path, s.url) for s in specs] == [
        ("a", str(tmp_path / "svc/a"), None),
        ("b", None, "https://git.example/org/b.git"),
        ("c", None, "git@host:org/c.git"),
    ]
    js = parse_manifest('[{"name": "x", "url": "file:///r.git", "ref": "v1", "dockerfiles": ["d/Dockerfile"]},'
                        ' {"path": "/abs/y"}]', tmp_path)
    assert (js[0].name, js[0].ref, js[0].dockerfiles) == ("x", "v1", ("d/Dockerfile",))
    assert (js[1].name, js[1].path) == ("y", "/abs/y")
    with pytest.raises(ManifestError):
        parse_manifest('[{"name": "nothing"}]', tmp_path)


def test_shards() -> None:
    assert parse_shard("1/3") == (1, 3)
    for bad in ("3/3", "x", "1/0"):
        with pytest.raises(ManifestError):
            parse_shard(bad)
    items = list(range(10))
    assert sorted(sum((shard(items, i, 3) for i in range(3)), [])) == items  # type: ignore[arg-type]


def test_content_key_covers_paths_bytes_and_config(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM alpine\n", encoding="utf-8")
    config = effective_config(tmp_path, ["Dockerfile"], env={})
    key = content_key(config, [("Dockerfile", b"FROM alpine\n")])
    assert key == content_key(config, [("Dockerfile", b"FROM alpine\n")])
    assert key != content_key(config, [("Dockerfile", b"FROM alpine:3\n")])
    assert key != content_key(config, [("sub/Dockerfile", b"FROM alpine\n")])
    (tmp_path / ".codi.toml").write_text('ignore = ["DL3006"]\n', encoding="utf-8")
    assert content_key(effective_config(tmp_path, ["Dockerfile"], env={}), [("Dockerfile", b"FROM alpine\n")]) != key
    assert content_key(effective_config(tmp_path, ["Dockerfile"], env={"CODI_IGNORE": "DL3007"}),
                       [("Dockerfile", b"FROM alpine\n")]) != key


def test_urls(tmp_path: Path) -> None:
    db = open_db(f"sqlite:///{tmp_path / 'f.db'}", tmp_path / "default.db")
    assert isinstance(db, SQLiteDB) and db.path == tmp_path / "f.db"
    assert db.ensure_schema() == []  # migrations are applied once
    db.close()
    with pytest.raises(DBError):
        open_db("mysql://x", tmp_path)
    store = open_store(None, tmp_path / "store")
    assert isinstance(store, LocalStore)
    store.put("a/b.json", b"1")
    store.put("a/b.json", b"2")  # an upsert
    assert store.get("a/b.json") == b"2" and store.get("nope") is None
    with pytest.raises(StoreError):
        store.put("../x", b"")
    with pytest.raises(StoreError):
        open_store("gs://bucket", tmp_path)
