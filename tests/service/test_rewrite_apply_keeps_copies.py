"""`codi rewrite --apply` never loses a file: an existing Dockerfile.orig is kept (the copy takes the next
free name), a planted Dockerfile.orig link is not written through, a read-only Dockerfile is refused."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

import codi.cli.project_cmds  # noqa: F401  (registers `rewrite`)
from codi.atomic import atomic_write_text, keep_copy
from codi.cli.app import app

runner = CliRunner()
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CODI_OUTPUT_ROOT", str(tmp_path / "runs"))
    monkeypatch.setenv("LLM_ENABLED", "false")
    root = tmp_path / "python"
    shutil.copytree(REPO / "demo" / "python", root)
    return root


def test_an_existing_orig_is_kept_and_the_copy_takes_the_next_name(project: Path) -> None:
    original = (project / "Dockerfile").read_text()
    (project / "Dockerfile.orig").write_text("# my own earlier copy\n")
    result = runner.invoke(app, ["rewrite", str(project), "--apply", "--risk-policy", "aggressive"])
    assert result.exit_code == 0, result.output
    assert (project / "Dockerfile.orig").read_text() == "# my own earlier copy\n"
    assert (project / "Dockerfile.orig-2").read_text() == original
    assert "the original is Dockerfile.orig-2" in result.stderr
    again = runner.invoke(app, ["rewrite", str(project), "--apply", "--risk-policy", "aggressive"])
    assert again.exit_code == 0, again.output  # a second adoption keeps the first original too
    assert (project / "Dockerfile.orig-2").read_text() == original


def test_a_read_only_dockerfile_is_refused(project: Path) -> None:
    dockerfile = project / "Dockerfile"
    before = dockerfile.read_bytes()
    dockerfile.chmod(0o444)
    result = runner.invoke(app, ["rewrite", str(project), "--apply", "--risk-policy", "aggressive"])
    assert result.exit_code == 2 and "read-only" in result.stderr
    assert "Traceback" not in result.output
    assert dockerfile.read_bytes() == before and not (project / "Dockerfile.orig").exists()


def test_a_planted_orig_link_is_not_written_through(tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere.txt"
    outside.write_text("precious\n")
    folder = tmp_path / "repo"
    folder.mkdir()
    (folder / "Dockerfile").write_text("FROM alpine:3.20\n")
    (folder / "Dockerfile.orig").symlink_to(outside)
    kept = atomic_write_text(folder / "Dockerfile", "FROM alpine:3.21\n", keep_backup=True)
    assert outside.read_text() == "precious\n" and (folder / "Dockerfile.orig").is_symlink()
    assert kept == folder / "Dockerfile.orig-2" and kept.read_text() == "FROM alpine:3.20\n"
    assert keep_copy(folder / "Dockerfile.orig-2") == folder / "Dockerfile.orig-2.orig"
    assert keep_copy(folder / "Dockerfile") == folder / "Dockerfile.orig-3"  # other bytes: a new name
