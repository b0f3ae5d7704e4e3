"""Every `--format` through the CLI on the same small project; SARIF checked against the schema."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest
from lintkit import invoke, project

from codi.formats import FORMATS

SCHEMA = Path(__file__).resolve().parents[1] / "data" / "sarif-schema-2.1.0.json"
FILES = {
    "app/Dockerfile": "FROM ubuntu\nRUN apt-get update && apt-get install -y curl\nCMD python app.py\n",
    "broken/Dockerfile": "FROM alpine:3.20\nFORM x\n",
    "ok/Dockerfile": "FROM alpine:3.20\nCMD [\"true\"]\n",
}


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_each_format(tmp_path: Path, fmt: str) -> None:
    root = project(tmp_path, FILES)
    result = invoke("lint", "--format", fmt, str(root))
    assert result.exit_code == (0 if fmt in ("codeclimate", "codacy") else 1), result.stderr  # as hadolint
    out = result.stdout
    assert "CD0001" in out and "DL3006" in out
    if fmt in ("json", "gitlab", "gitlab_codeclimate"):
        assert isinstance(json.loads(out), list)
    elif fmt == "sonarqube":
        assert isinstance(json.loads(out)["issues"], list)
    elif fmt == "codeclimate":
        assert all(json.loads(part) for part in out.split("\0")[:-1])
    elif fmt == "codacy":
        assert all(json.loads(line)["patternId"] for line in out.splitlines())
    elif fmt == "gnu":
        assert "codi:" + str(root / "broken" / "Dockerfile") + ":2:1: CD0001 error: " in out
    elif fmt in ("checkstyle", "junit"):
        ET.fromstring(out)
    elif fmt == "sarif":
        schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
        errors = list(jsonschema.Draft4Validator(schema).iter_errors(json.loads(out)))
        assert not errors, errors[0].message
    elif fmt == "github":
        assert all(line.startswith("::") for line in out.splitlines())
    elif fmt == "concise":
        assert "broken/Dockerfile:2:1: CD0001 [error]" in out and " | " not in out
    else:
        assert "broken/Dockerfile:2:1 CD0001 [error]" in out


def test_cli_format_names_match_the_formats_package() -> None:
    from codi.cli.output import FORMAT_NAMES

    assert sorted(FORMAT_NAMES) == sorted(FORMATS)
