"""`codi lint/fix/parse/analyze` on hostile folders: a found file is confined, regular and bounded; every
refusal is a clear one-line error with exit 2, never a hang, a traceback or the content of another file."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from confinekit import GOOD, MARKER, codi, env, fifo, link, outside_file, repo


def _clear_error(result: object, *words: str) -> str:
    err = getattr(result, "stderr", "")
    assert getattr(result, "returncode", None) == 2, (getattr(result, "stdout", ""), err)
    assert "Traceback" not in err and MARKER not in err and MARKER not in getattr(result, "stdout", "")
    for word in words:
        assert word in err, err
    return err


@pytest.mark.parametrize("command", ["lint", "fix"])
def test_a_fifo_named_like_a_dockerfile_ends_at_once(tmp_path: Path, command: str) -> None:
    root = repo(tmp_path / "p", {"ok/Dockerfile": GOOD})
    fifo(root / "Dockerfile")
    _clear_error(codi(command, str(root), timeout=60), "Dockerfile", "FIFO", "not a regular file")


def test_parse_and_analyze_refuse_a_fifo(tmp_path: Path) -> None:
    root = repo(tmp_path / "p")
    fifo(root / "Dockerfile")
    _clear_error(codi("parse", str(root / "Dockerfile"), timeout=60), "FIFO")
    _clear_error(codi("analyze", str(root), timeout=60), "FIFO")


def test_a_link_to_dev_zero_found_by_a_folder_search_is_refused(tmp_path: Path) -> None:
    root = repo(tmp_path / "p")
    link(root / "Dockerfile", "/dev/zero")
    for command in ("lint", "fix"):
        _clear_error(codi(command, str(root), timeout=60), "outside the project folder")
    _clear_error(codi("analyze", str(root), timeout=60), "outside the project folder")


def test_devices_named_on_the_command_line_are_not_read(tmp_path: Path) -> None:
    _clear_error(codi("lint", "/dev/zero", timeout=60), "character device")
    _clear_error(codi("parse", "/dev/zero", timeout=60), "character device")


def test_a_link_out_of_the_folder_is_refused_and_never_quoted(tmp_path: Path) -> None:
    outside = outside_file(tmp_path)
    root = repo(tmp_path / "p", {"app/Dockerfile": GOOD})
    link(root / "Dockerfile", outside)
    result = codi("lint", "--format", "json", str(root))
    _clear_error(result, "Dockerfile", "outside the project folder")
    findings = json.loads(result.stdout)
    assert {Path(f["file"]).parent.name for f in findings} <= {"app"}  # the rest is still linted
    _clear_error(codi("analyze", str(root)), "outside the project folder")


def test_a_link_inside_the_folder_is_followed(tmp_path: Path) -> None:
    root = repo(tmp_path / "p", {"docker/Dockerfile.prod": GOOD})
    link(root / "Dockerfile", "docker/Dockerfile.prod")
    result = codi("lint", str(root))
    assert result.returncode in (0, 1) and "error" not in result.stderr, result.stderr


def test_a_symlink_loop_says_so(tmp_path: Path) -> None:
    root = repo(tmp_path / "p")
    link(root / "Dockerfile", "Dockerfile")
    for args in (("lint", str(root)), ("lint", str(root / "Dockerfile")), ("parse", str(root / "Dockerfile")),
                 ("analyze", str(root))):
        err = _clear_error(codi(*args, timeout=60), "symlink loop")
        assert "no such file" not in err.lower()
    link(tmp_path / "looping-project", "looping-project")
    for command in ("lint", "analyze"):
        err = _clear_error(codi(command, str(tmp_path / "looping-project"), timeout=60), "symlink loop")
        assert "no such" not in err.lower()


@pytest.mark.parametrize("layout", ["empty", "folder-named-Dockerfile"])
def test_a_folder_without_dockerfiles_exits_2(tmp_path: Path, layout: str) -> None:
    root = repo(tmp_path / "p", {"README.md": "hi\n"})
    target = root
    if layout == "folder-named-Dockerfile":
        target = root / "Dockerfile"
        target.mkdir()
        (target / "notes.txt").write_text("no Dockerfile here\n")
    for command in ("lint", "fix"):
        _clear_error(codi(command, str(target)), "no Dockerfiles found in this folder")


def test_fix_leaves_a_read_only_file_untouched(tmp_path: Path) -> None:
    root = repo(tmp_path / "p", {"Dockerfile": "FROM alpine:3.19\nRUN apk add curl\nUSER nobody\n"})
    path = root / "Dockerfile"
    before = path.read_bytes()
    path.chmod(0o444)
    try:
        for args in (("fix", str(path)), ("lint", "--fix", str(root))):
            err = _clear_error(codi(*args), "read-only")
            assert "cannot write" in err
            assert path.read_bytes() == before
            assert stat.S_IMODE(path.stat().st_mode) == 0o444
    finally:
        path.chmod(0o644)
    fixed = codi("fix", str(path))  # writable again: the same fix now applies
    assert fixed.returncode in (0, 1) and path.read_bytes() != before, fixed.stderr


def test_the_size_limit_has_a_flag_an_env_var_and_a_config_key(tmp_path: Path) -> None:
    root = repo(tmp_path / "p", {"Dockerfile": GOOD + "# " + "x" * 3000 + "\n"})
    _clear_error(codi("lint", "--max-file-size", "1k", str(root)), "input size limit of 1 KiB", "--max-file-size")
    _clear_error(codi("lint", str(root), CODI_MAX_FILE_SIZE="2048"), "input size limit of 2 KiB")
    _clear_error(codi("parse", "--max-file-size", "1k", str(root / "Dockerfile")), "input size limit")
    (root / ".codi.toml").write_text('max-file-size = "1k"\n')
    _clear_error(codi("lint", str(root)), "input size limit")
    assert codi("lint", "--max-file-size", "1M", str(root)).returncode in (0, 1)  # the flag wins
    _clear_error(codi("lint", "--max-file-size", "lots", str(root)), "--max-file-size", "not a size")
    (root / ".codi.toml").write_text('max-file-size = "huge"\n')
    _clear_error(codi("lint", str(root)), ".codi.toml:1", "max-file-size")


def test_the_default_size_limit_refuses_a_huge_file(tmp_path: Path) -> None:
    root = repo(tmp_path / "p")
    with (root / "Dockerfile").open("w") as fh:
        fh.write("FROM alpine:3.19\n")
        fh.truncate(5 * 1024 * 1024)  # sparse: 5 MiB on paper, nothing on disk
    _clear_error(codi("lint", str(root)), "input size limit of 4 MiB")
    _clear_error(codi("analyze", str(root)), "input size limit of 4 MiB")


def test_a_nul_byte_is_an_input_error_everywhere(tmp_path: Path) -> None:
    root = repo(tmp_path / "p", {"Dockerfile": "FROM alpine:3.19\nRUN echo \x00 hi\n"})
    for args in (("lint", str(root)), ("parse", str(root / "Dockerfile")), ("analyze", str(root))):
        _clear_error(codi(*args), "NUL")


@pytest.mark.parametrize("name", ["Dockerfile-prod", "Dockerfile_dev", "api.containerfile", "Containerfile.dev"])
def test_a_folder_search_finds_the_common_name_variants(tmp_path: Path, name: str) -> None:
    untagged = "FROM alpine\n"  # DL3006 in every file linted
    root = repo(tmp_path / "p", {f"svc/{name}": untagged, "svc/Dockerfile-prod.md": untagged,
                                 "svc/Dockerfile_dev.j2": untagged})
    result = codi("lint", "--format", "json", "--select", "DL3006", str(root))
    assert result.returncode == 1, result.stderr
    assert {Path(f["file"]).name for f in json.loads(result.stdout)} == {name}


def test_a_dockerignore_that_is_a_fifo_or_a_link_out_is_not_read(tmp_path: Path) -> None:
    root = repo(tmp_path / "p", {"Dockerfile": GOOD})
    fifo(root / ".dockerignore")
    result = codi("lint", str(root), timeout=60)
    assert result.returncode == 0, result.stderr
    assert codi("analyze", str(root), timeout=60).returncode == 0
    os.unlink(root / ".dockerignore")
    link(root / ".dockerignore", "/dev/zero")
    assert codi("lint", str(root), timeout=60).returncode == 0
    assert codi("analyze", str(root), timeout=60).returncode == 0


@pytest.mark.parametrize("command", [("lint", "-"), ("parse", "-")])
def test_standard_input_is_read_no_further_than_the_limit(command: tuple[str, ...]) -> None:
    with open("/dev/zero", "rb") as zero:
        result = subprocess.run([sys.executable, "-m", "codi", *command], stdin=zero, capture_output=True,
                                text=True, env=env(), timeout=60, check=False)
    _clear_error(result, "input size limit of 4 MiB")


def test_a_config_error_quotes_a_short_excerpt_at_most(tmp_path: Path) -> None:
    root = repo(tmp_path / "p", {"Dockerfile": GOOD, ".codi.toml": 'select = "bogus' + "Z" * 5000 + '"\n'})
    err = _clear_error(codi("lint", str(root)), ".codi.toml:1")
    assert len(err) < 400 and "Z" * 300 not in err


def test_fix_through_a_link_edits_the_file_and_keeps_the_link(tmp_path: Path) -> None:
    root = repo(tmp_path / "p", {"docker/Dockerfile.prod": "FROM alpine:3.19\nRUN apk add curl\nUSER nobody\n"})
    link(root / "Dockerfile", "docker/Dockerfile.prod")
    result = codi("fix", str(root / "Dockerfile"))
    assert result.returncode in (0, 1), result.stderr
    assert (root / "Dockerfile").is_symlink()
    assert "--no-cache" in (root / "docker" / "Dockerfile.prod").read_text()


def test_a_project_config_may_lower_the_size_limit_but_not_raise_it(tmp_path: Path) -> None:
    """A checkout CODI lints is not the operator: its .codi.toml cannot lift the limit over the default."""
    root = repo(tmp_path / "p", {"Dockerfile": GOOD + "# " + "x" * (4 << 20) + "\n"})  # over the 4 MiB default
    (root / ".codi.toml").write_text('max-file-size = "1G"\n')
    _clear_error(codi("lint", str(root)), "input size limit of 4 MiB")
    (root / ".codi.toml").write_text('max-file-size = "2k"\n')  # lowering is the project's to do
    _clear_error(codi("lint", str(root)), "input size limit of 2 KiB")
