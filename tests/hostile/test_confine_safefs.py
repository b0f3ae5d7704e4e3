"""codi.safefs, the one reader of found files: what it refuses and why (the CLI, API and scan tests show
the same through the commands)."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

from codi import safefs


def test_regular_files_inside_the_root_are_read(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "Dockerfile").write_bytes(b"FROM alpine\n\xff\n")
    (tmp_path / "Dockerfile").symlink_to("sub/Dockerfile")
    assert safefs.read_bytes(tmp_path / "Dockerfile", tmp_path) == b"FROM alpine\n\xff\n"
    assert safefs.read_text(tmp_path / "Dockerfile", tmp_path).encode("utf-8", "surrogateescape").endswith(b"\xff\n")
    with pytest.raises(safefs.UnsafeFile, match="line 2: not UTF-8"):
        safefs.read_text(tmp_path / "Dockerfile", tmp_path, errors="strict")


def test_a_socket_is_not_read(tmp_path: Path) -> None:
    path = tmp_path / "Dockerfile"
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(str(path))
        with pytest.raises(safefs.UnsafeFile, match="socket"):
            safefs.read_bytes(path, tmp_path)


def test_a_folder_is_not_read(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").mkdir()
    with pytest.raises(safefs.UnsafeFile, match="is a folder, not a regular file"):
        safefs.read_bytes(tmp_path / "Dockerfile")


def test_a_link_swapped_in_after_resolving_is_not_followed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The check and the open are two steps: a link put in place between them is refused (O_NOFOLLOW)."""
    (tmp_path / "outside").write_text("secret\n")
    path = tmp_path / "proj" / "Dockerfile"
    path.parent.mkdir()
    path.write_text("FROM alpine\n")
    real = os.path.realpath

    def resolve_then_swap(p: object, *args: object, **kw: object) -> str:
        answer = real(p, *args, **kw)  # type: ignore[call-overload]
        if str(p) == str(path):
            path.unlink()
            path.symlink_to(tmp_path / "outside")
        return str(answer)

    monkeypatch.setattr(os.path, "realpath", resolve_then_swap)
    with pytest.raises(safefs.UnsafeFile, match="changed into a link"):
        safefs.read_bytes(path, tmp_path / "proj")


def test_the_size_cap_counts_what_is_read_not_what_stat_says() -> None:
    """/proc files say size 0: the cap holds on the bytes read."""
    with pytest.raises(safefs.UnsafeFile, match="input size limit of 16 bytes"):
        safefs.read_bytes("/proc/self/maps", limit=16)


@pytest.mark.parametrize(("text", "value"), [("4194304", 4194304), ("4M", 4 << 20), ("4MB", 4 << 20),
                                             ("4MiB", 4 << 20), ("512k", 512 << 10), ("1G", 1 << 30), (10, 10)])
def test_sizes(text: str | int, value: int) -> None:
    assert safefs.parse_size(text) == value


@pytest.mark.parametrize("text", ["", "0", "-1", "4 parsecs", "1.5M", "M"])
def test_bad_sizes(text: str) -> None:
    with pytest.raises(ValueError):
        safefs.parse_size(text)


def test_the_env_var_sets_the_default_cap() -> None:
    assert safefs.max_file_bytes({}) == safefs.DEFAULT_MAX_BYTES
    assert safefs.max_file_bytes({"CODI_MAX_FILE_SIZE": "2k"}) == 2048
    with pytest.raises(ValueError, match="CODI_MAX_FILE_SIZE"):
        safefs.max_file_bytes({"CODI_MAX_FILE_SIZE": "big"})
