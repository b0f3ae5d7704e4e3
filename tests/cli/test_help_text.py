"""`--help` in words: no Python type labels, an example on every command, `codi --help`'s claim about
`--out` true, maintainer commands under `codi ops` / `codi model` with the old names still working."""

from __future__ import annotations

import copy
import importlib
import re
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from codi.cli import main as cli_main
from codi.cli.app import OUT_AFTER_COMMAND
from codi.cli.app import app as shared_app
from codi.cli.examples import EXAMPLES, add_examples
from codi.cli.groups import PARENTS, group

JARGON = re.compile(r"<(str|int|bool|float|path|list\[[^\]]*\]|int range|float range)>|\[x[<>]=?")


def _paths(t: typer.Typer, prefix: str = "") -> list[str]:
    out = [prefix + (c.name or c.callback.__name__) for c in t.registered_commands if c.callback and not c.hidden]
    for sub in t.registered_groups:
        if sub.name and not sub.hidden:
            out.append(prefix + sub.name)
            out += _paths(sub.typer_instance, f"{prefix}{sub.name} ")
    return out


app = typer.Typer()  # the grouped copy of the CLI that `codi` (codi.cli.main) runs; set by the fixture


@pytest.fixture(scope="module")
def commands() -> list[str]:
    global app
    for name in cli_main._COMMAND_MODULES:
        importlib.import_module(f"codi.cli.{name}")
    app = copy.deepcopy(shared_app)  # other tests in this process use the shared app ungrouped
    group(app)
    add_examples(app)
    return _paths(app)


def _help(path: str) -> str:
    result = CliRunner(env={"COLUMNS": "200", "NO_COLOR": "1"}).invoke(app, [*path.split(), "--help"])
    assert result.exit_code == 0, (path, result.output)
    return result.output


def test_no_type_jargon_anywhere(commands: list[str]) -> None:
    for path in ["", *commands]:
        text = _help(path) if path else CliRunner(env={"COLUMNS": "200"}).invoke(app, ["--help"]).output
        assert not JARGON.search(text), (path, JARGON.search(text))


def test_ranges_and_choices_read_as_words(commands: list[str]) -> None:
    lint = _help("lint")
    assert "--jobs" in lint and " N " in lint
    assert "tty, concise, json, sarif" in lint


def test_every_command_has_an_example_using_its_own_options(commands: list[str]) -> None:
    for path in commands:
        text = _help(path)
        assert "Example: codi " in text, path
        example = EXAMPLES.get(path)
        if example is None:
            continue  # an example written in the command's docstring
        leaf = path.split()[-1]
        assert leaf in example.split(), (path, example)
        if path.split()[0] not in PARENTS and " " not in path and path not in ("rules", "stack", "ops", "model"):
            for option in re.findall(r"(?<= )--[a-z-]+", example):
                assert option in text, (path, option)


def test_out_after_the_command_is_true(commands: list[str]) -> None:
    root = CliRunner(env={"COLUMNS": "200"}).invoke(app, ["--help"]).output
    assert "Also accepted after the name of" in root
    for path in OUT_AFTER_COMMAND:
        assert "--out" in _help(path), path


def test_maintainer_commands_grouped_and_old_names_hidden_but_working(commands: list[str]) -> None:
    root = CliRunner(env={"COLUMNS": "200"}).invoke(app, ["--help"]).output
    listed = {line.split()[1] for line in root.splitlines() if line.startswith("│ ") and len(line.split()) > 1}
    for parent, (_, children) in PARENTS.items():
        assert parent in listed
        assert not set(children) & listed, set(children) & listed
        for child in children:
            assert _help(f"{parent} {child}")
            assert _help(child)  # the old top-level name still works


@pytest.mark.parametrize(("path", "new", "old"), [
    ("data build", "--out-dir", "--out"), ("train", "--out-dir", "--out"), ("eval", "--output-file", "--out"),
    ("bundle build", "--output-file", "--out"), ("backup create", "--out-dir", "--dest"),
    ("dashboard", "--out", "--runs"),
])
def test_one_name_per_output_location_old_names_hidden(commands: list[str], path: str, new: str, old: str) -> None:
    text = _help(path)
    assert new in text
    if old != "--out":  # --out is the output root where a command has both
        assert old not in text


def test_old_spelling_still_works(tmp_path: Path) -> None:
    (tmp_path / "runs").mkdir()
    result = CliRunner().invoke(shared_app, ["backup", "create", "--out", str(tmp_path / "runs"), "--dest",
                                             str(tmp_path / "backups"), "--no-runs"])
    assert result.exit_code == 0, result.output
    assert list((tmp_path / "backups").glob("codi-backup-*.tar.gz"))


def test_parse_readable_format_is_tty_as_in_lint(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM alpine:3.20\nRUN true\n", encoding="utf-8")
    tty = CliRunner().invoke(shared_app, ["parse", "--format", "tty", str(tmp_path / "Dockerfile")])
    old = CliRunner().invoke(shared_app, ["parse", "--format", "text", str(tmp_path / "Dockerfile")])
    default = CliRunner().invoke(shared_app, ["parse", str(tmp_path / "Dockerfile")])
    assert tty.exit_code == old.exit_code == default.exit_code == 0
    assert tty.stdout == old.stdout == default.stdout and "RUN" in tty.stdout
