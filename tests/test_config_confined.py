"""A config file found in a project is confined to its folder like every other found file (QA, issue 19 §1):
a `.hadolint.yaml` or `.codi.toml` that links out of the project is refused, never read and applied."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

import codi.cli.lint_cmd  # noqa: F401  (registers `lint`)
from codi.cli.app import app

runner = CliRunner()


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("CODI_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)
    root = tmp_path / "repo"
    (root / ".git").mkdir(parents=True)
    (root / "Dockerfile").write_text("FROM alpine:3.20\n")
    return root


@pytest.mark.parametrize("name", [".hadolint.yaml", ".codi.toml"])
def test_a_config_link_out_of_the_project_is_refused(project: Path, tmp_path: Path, name: str) -> None:
    outside = tmp_path / "elsewhere" / name
    outside.parent.mkdir()
    outside.write_text("ignored: [CD306]\n" if name.endswith(".yaml") else 'ignore = ["CD306"]\n')
    (project / name).symlink_to(outside)
    result = runner.invoke(app, ["lint", str(project)])
    assert result.exit_code == 2, result.output
    assert "link to a file outside the project folder (refused)" in result.stderr
    assert "Traceback" not in result.output


def test_a_config_link_to_proc_environ_is_refused_without_reading_it(project: Path) -> None:
    (project / ".hadolint.yaml").symlink_to("/proc/self/environ")
    result = runner.invoke(app, ["lint", str(project / "Dockerfile")])
    assert result.exit_code == 2 and "outside the project folder" in result.stderr
    assert "YAML" not in result.stderr  # refused before it was parsed


def test_a_config_link_inside_the_project_is_followed(project: Path) -> None:
    (project / "shared.yaml").write_text("ignored: [CD306]\n")
    (project / ".hadolint.yaml").symlink_to("shared.yaml")
    result = runner.invoke(app, ["lint", str(project / "Dockerfile")])
    assert result.exit_code == 0 and "CD306" not in result.stdout, result.output
