"""Prompt heads kept on disk (codi.llm.heads): what is read back is exactly what was stored, and anything
else (damaged, not a regular file, too large, the cache turned off) is ignored, so the head is read again."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from codi.llm import heads


@pytest.fixture(autouse=True)
def _cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CODI_CACHE_DIR", str(tmp_path))
    monkeypatch.delenv("CODI_NO_CACHE", raising=False)
    return tmp_path


def test_a_stored_head_is_read_back() -> None:
    name = heads.key("model:1:2\nruntime", [1, 2, 3], 2048)
    assert heads.load(name) is None
    heads.store(name, b"\x00state\xff" * 100)
    assert heads.load(name) == b"\x00state\xff" * 100


def test_the_key_changes_with_tokens_identity_and_context(tmp_path: Path) -> None:
    model = tmp_path / "m.gguf"
    model.write_bytes(b"x")
    ident = heads.identity([model], "llama-cpp-python 0.3.36")
    base = heads.key(ident, [1, 2], 2048)
    assert base == heads.key(ident, [1, 2], 2048)
    assert len({base, heads.key(ident, [1, 3], 2048), heads.key(ident, [1, 2], 1024),
                heads.key(heads.identity([model], "llama-cpp-python 0.3.37"), [1, 2], 2048)}) == 4
    model.write_bytes(b"xy")  # another file at the same path
    assert heads.key(heads.identity([model], "llama-cpp-python 0.3.36"), [1, 2], 2048) != base


def test_a_damaged_or_foreign_file_is_ignored(_cache: Path) -> None:
    name = heads.key("id", [1], 2048)
    heads.store(name, b"state" * 50)
    path = _cache / "llm-heads" / f"{name}.bin"
    blob = bytearray(path.read_bytes())
    blob[-1] ^= 1
    path.write_bytes(bytes(blob))
    assert heads.load(name) is None  # checksum
    path.write_bytes(b"not a head at all")
    assert heads.load(name) is None
    path.write_bytes(b"")
    assert heads.load(name) is None


def test_only_regular_files_of_bounded_size_are_read(_cache: Path) -> None:
    folder = _cache / "llm-heads"
    folder.mkdir()
    real = _cache / "elsewhere.bin"
    real.write_bytes(b"whatever")
    (folder / "link.bin").symlink_to(real)
    assert heads.load("link") is None
    os.mkfifo(folder / "fifo.bin")
    assert heads.load("fifo") is None  # and does not block
    with open(folder / "big.bin", "wb") as big:
        big.truncate(heads.MAX_BYTES + 1)
    assert heads.load("big") is None


def test_no_cache_reads_and_writes_nothing(_cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    name = heads.key("id", [1], 2048)
    heads.store(name, b"kept")
    monkeypatch.setenv("CODI_NO_CACHE", "1")
    assert heads.load(name) is None
    heads.store(heads.key("id", [2], 2048), b"new")
    assert len(list((_cache / "llm-heads").iterdir())) == 1


def test_an_unwritable_cache_is_only_slower(_cache: Path) -> None:
    (_cache / "llm-heads").write_text("a file where the folder should be")
    heads.store("name", b"state")  # no error
    assert heads.load("name") is None


def test_the_oldest_files_go_past_the_bound(_cache: Path) -> None:
    for i in range(heads.KEEP + 4):
        heads.store(f"h{i:02d}", b"s")
        os.utime(_cache / "llm-heads" / f"h{i:02d}.bin", ns=(i * 10**9, i * 10**9))
    heads.store("last", b"s")
    names = sorted(p.stem for p in (_cache / "llm-heads").glob("*.bin"))
    assert len(names) == heads.KEEP and "last" in names and "h00" not in names
