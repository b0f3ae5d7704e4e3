"""`codi lint --build-arg NAME=VALUE`: the values reach the rule context and the model; the checks
judge them as BuildKit does (testInvalidDefaultArgInFrom, testFromPlatformFlagConstDisallowed)."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_buildkit_check_directive import checks
from typer.testing import CliRunner

import codi.cli.lint_cmd  # noqa: F401  (attaches `lint` to the app)
from codi.cli.app import app
from codi.parser import parse_lenient
from codi.parser.semantic import build_model


@pytest.mark.parametrize(
    "text,build_args,expected",
    [
        ("\nARG VERSION\nFROM busybox:$VERSION\n", {"VERSION": "latest"}, [3]),
        ("\nARG IMAGE\nFROM $IMAGE\n", {"IMAGE": "busybox:latest"}, [3]),
        ('\nARG SFX="box:"\nFROM busy${SFX}\n', {"SFX": "box:latest"}, [3]),
        ('\nARG VERSION="latest"\nFROM busybox:${VERSION}\n', {"VERSION": "latest"}, []),
        ('\nARG BUSYBOX_VARIANT=""\nFROM busybox:stable${BUSYBOX_VARIANT}\n', {"BUSYBOX_VARIANT": "-musl"}, []),
        ("\nARG BUSYBOX_VARIANT\nFROM busybox:stable${BUSYBOX_VARIANT}\n", {"BUSYBOX_VARIANT": "-musl"}, []),
    ],
)
def test_invalid_default_arg_in_from_judges_defaults_whatever_the_build_args(
    text: str, build_args: dict[str, str], expected: list[int]
) -> None:
    found = [line for name, line in checks(text, build_args) if name == "InvalidDefaultArgInFrom"]
    assert found == expected


@pytest.mark.parametrize(
    "text,expected",
    [
        ("\nFROM --platform=linux/amd64 scratch\n", [2]),
        ("\nFROM --platform=linux/amd64 scratch AS my_amd64_stage\n", []),
        ("\nFROM --platform=linux/amd64 scratch AS linux\n", []),
        ("ARG P=linux/amd64\nFROM --platform=$P scratch\n", []),
    ],
)
def test_from_platform_flag_const_disallowed(text: str, expected: list[int]) -> None:
    for build_args in ({}, {"P": "linux/arm64"}):
        found = [line for name, line in checks(text, build_args) if name == "FromPlatformFlagConstDisallowed"]
        assert found == expected


def test_build_args_reach_the_model() -> None:
    df, _ = parse_lenient("ARG TAG\nFROM alpine:$TAG\nARG TAG\nRUN echo $TAG\n")
    model = build_model(df, {"TAG": "3.20"})
    assert model.stages[0].base_resolved == "alpine:3.20"
    assert model.vars_at(df.instructions[-1])["TAG"] == "3.20"


def test_lint_cli_build_arg(tmp_path: Path) -> None:
    path = tmp_path / "Dockerfile"
    path.write_text("ARG VERSION\nFROM busybox:$VERSION\n")
    runner = CliRunner()
    result = runner.invoke(app, ["lint", str(path), "--select", "BK017", "--build-arg", "VERSION=1.36",
                                 "--build-arg", "OTHER=x", "--format", "json"])
    assert result.exit_code == 1 and "BK017" in result.stdout
    bad = runner.invoke(app, ["lint", str(path), "--build-arg", "=x"])
    assert bad.exit_code == 2 and "expected NAME=VALUE" in bad.stderr
    assert "--build-arg" in runner.invoke(app, ["lint", "--help"]).stdout
