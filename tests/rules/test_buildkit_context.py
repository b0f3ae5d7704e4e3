""".dockerignore matching, CopyIgnoredFile (BK019) and InvalidDefinitionDescription (BK020)."""

from __future__ import annotations

from pathlib import Path

import pytest
from rulekit import lines, run_rule

from codi.rules.buildkit.dockerignore import DockerIgnore, find_dockerignore
from codi.rules.registry import get_rule


@pytest.mark.parametrize(
    ("patterns", "path", "excluded"),
    [
        ("node_modules", "node_modules/a/b.js", True),
        ("/node_modules", "node_modules", True),
        ("./build", "build/x", True),
        ("*.md", "README.md", True),
        ("*.md", "docs/README.md", False),
        ("**/*.md", "docs/deep/README.md", True),
        ("**/*.md", "README.md", True),
        ("*/tmp/*", "a/tmp/x", True),
        ("*/tmp/*", "tmp/x", False),
        ("a?c", "abc", True),
        ("a?c", "a/c", False),
        ("[a-c]x", "bx", True),
        ("*.md\n!README.md", "README.md", False),
        ("!README.md\n*.md", "README.md", True),
        ("# comment\n\n  .git  ", ".git/HEAD", True),
        ("docs/**", "docs", False),
        ("docs/**", "docs/a/b", True),
        ("src", "srcs/x", False),
    ],
)
def test_dockerignore_matching(patterns: str, path: str, excluded: bool) -> None:
    assert DockerIgnore.parse(patterns).excluded(path) is excluded


def test_dockerignore_file_lookup(tmp_path: Path) -> None:
    assert find_dockerignore(tmp_path) is None
    (tmp_path / ".dockerignore").write_text("x\n")
    assert find_dockerignore(tmp_path) == tmp_path / ".dockerignore"
    (tmp_path / "Dockerfile.dockerignore").write_text("y\n")
    assert find_dockerignore(tmp_path, "Dockerfile") == tmp_path / "Dockerfile.dockerignore"


def test_copy_ignored_file(tmp_path: Path) -> None:
    (tmp_path / ".dockerignore").write_text("*/tmp/*\nsecrets\n")
    text = (
        "FROM alpine AS b\nCOPY ./tmp/a.txt /a\nCOPY x/tmp/a.txt /a\nADD secrets/key.pem /k\n"
        "COPY --from=b x/tmp/a.txt /a\nADD https://example.com/secrets /s\nCOPY src /src\n"
    )
    found = run_rule("CopyIgnoredFile", text, context_dir=tmp_path)
    assert [f.line for f in found] == [3, 4]
    assert found[0].message == 'Attempting to Copy file "x/tmp/a.txt" that is excluded by .dockerignore'
    assert found[1].message == 'Attempting to Add file "secrets/key.pem" that is excluded by .dockerignore'


def test_copy_ignored_file_is_off_by_default_and_needs_context(tmp_path: Path) -> None:
    cls = get_rule("BK019")
    assert cls is not None and not cls.enabled_by_default
    assert lines("BK019", "FROM alpine\nCOPY secrets /s\n") == []
    (tmp_path / ".dockerignore").write_text("secrets\n!secrets/public\n")
    # BuildKit skips the check when the file has exceptions
    assert lines("BK019", "FROM alpine\nCOPY secrets /s\n", context_dir=tmp_path) == []


def test_invalid_definition_description() -> None:
    text = (
        "# a non-descriptive comment\nFROM scratch AS base\n\n"
        "# VERSION is the version\nARG VERSION=1\n"
        "# random words\nARG A B\n"
        "# just a note\n\nARG C=1\n"
        "# build compiles things\nFROM alpine AS build\n"
    )
    found = run_rule("InvalidDefinitionDescription", text)
    assert [f.line for f in found] == [2, 7]
    assert found[0].message == "Comment for FROM should follow the format: `# base <description>`"
    assert found[1].message == "Comment for ARG should follow the format: `# <arg_key> <description>`"
    cls = get_rule("InvalidDefinitionDescription")
    assert cls is not None and not cls.enabled_by_default
