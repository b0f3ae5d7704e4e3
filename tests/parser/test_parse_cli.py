"""`codi parse FILE`: the JSON contract, the text listing and the exit codes."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

import codi.cli.parse_cmd  # noqa: F401  (attaches `parse` to the app)
from codi.cli.app import app


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["parse", *args])
    return result.exit_code, result.stdout, result.stderr


def test_json_output_matches_the_contract(tmp_path: Path) -> None:
    path = tmp_path / "Dockerfile"
    path.write_text(
        "# syntax=docker/dockerfile:1\nFROM a AS build\nCOPY --from=build <<EOF /x\nraw text\nEOF\n"
        "HEALTHCHECK --interval=5s CMD a\nONBUILD ENV a b\n"
    )
    code, out, _ = run(str(path), "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert data["schema_version"] == 1 and data["escape"] == "\\"
    assert data["directives"] == {"syntax": "docker/dockerfile:1"}
    frm, copy, health, onbuild = data["instructions"]
    assert frm == {
        "keyword": "FROM",
        "flags": [],
        "args": ["a", "AS", "build"],
        "json_form": False,
        "start_line": 2,
        "end_line": 2,
        "heredocs": [],
        "inner": None,
    }
    assert copy["flags"] == ["--from=build"] and (copy["start_line"], copy["end_line"]) == (3, 5)
    assert copy["heredocs"] == [
        {"name": "EOF", "content": "raw text\n", "expand": True, "chomp": False, "fd": 0}
    ]
    assert health["flags"] == ["--interval=5s"] and health["args"] == ["CMD", "a"]
    assert onbuild["args"] == [] and onbuild["inner"]["keyword"] == "ENV"
    assert onbuild["inner"]["args"] == ["a", "b", ""]


def test_text_listing_is_the_default(tmp_path: Path) -> None:
    path = tmp_path / "Dockerfile"
    path.write_text("FROM a\nRUN echo hi \\\n  there\n")
    code, out, _ = run(str(path))
    assert code == 0
    assert "FROM" in out and "2-3" in out and "echo hi   there" in out


def test_parse_error_is_file_line_message_and_exit_2(tmp_path: Path) -> None:
    path = tmp_path / "Dockerfile"
    path.write_text("FROM a\nENV a\n")
    code, out, err = run(str(path), "--format", "json")
    assert code == 2 and out == ""
    assert err.strip() == f"{path}:2: ENV must have two arguments"


def test_missing_or_unreadable_file_is_one_line_and_exit_2(tmp_path: Path) -> None:
    code, _, err = run(str(tmp_path / "nope"))
    assert code == 2 and "nope" in err and len(err.strip().splitlines()) == 1
    code, _, err = run(str(tmp_path))
    assert code == 2 and "Traceback" not in err


def test_unknown_format_is_a_usage_error(tmp_path: Path) -> None:
    path = tmp_path / "Dockerfile"
    path.write_text("FROM a\n")
    code, _, err = run(str(path), "--format", "yaml")
    assert code == 2 and "format" in err
