"""ruff's daily habits in `codi lint`: colour switches, --statistics, --output-file, --stdin-filename,
--show-settings and a baseline that survives moved lines."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from lintkit import invoke, lint_json, project

from codi.cli.lint_output import use_color

APT = "FROM ubuntu\nRUN apt-get update && apt-get install -y curl\n"


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_no_color_is_honoured_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    monkeypatch.delenv("NO_COLOR", raising=False)
    assert use_color("auto", _Tty()) is True
    monkeypatch.setenv("NO_COLOR", "1")
    assert use_color("auto", _Tty()) is False
    assert use_color("always", _Tty()) is True
    assert use_color("auto", io.StringIO()) is False


def test_color_flags_through_the_cli(tmp_path: Path) -> None:
    root = project(tmp_path, {"Dockerfile": APT})
    always = invoke("lint", "--color", "always", str(root / "Dockerfile"), env={"NO_COLOR": "1"})
    assert "\x1b[" in always.stdout
    for args in (["--color", "never"], ["--no-color"], []):
        out = invoke("lint", *args, str(root / "Dockerfile"), env={"FORCE_COLOR": None}).stdout
        assert "\x1b[" not in out and "DL3006" in out
    bad = invoke("lint", "--color", "sometimes", str(root / "Dockerfile"))
    assert bad.exit_code == 2 and "--color" in bad.stderr


def test_statistics_counts_per_rule(tmp_path: Path) -> None:
    root = project(tmp_path, {"a/Dockerfile": APT, "b/Dockerfile": APT})
    result = invoke("lint", "--statistics", str(root))
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines and all(line.split("\t")[0].strip() == "2" for line in lines)
    assert any("\tDL3006" in line and "tag-image-version (warning)" in line for line in lines)
    assert "\x1b[" not in result.stdout


def test_output_file_gets_the_report(tmp_path: Path) -> None:
    root = project(tmp_path, {"Dockerfile": APT})
    target = tmp_path / "reports" / "codi.sarif"
    result = invoke("lint", "-f", "sarif", "--output-file", str(target), str(root / "Dockerfile"))
    assert result.exit_code == 1 and result.stdout == ""
    assert json.loads(target.read_text(encoding="utf-8"))["version"] == "2.1.0"


@pytest.mark.parametrize("fmt", ["json", "sarif", "checkstyle", "gitlab", "tty", "gnu", "sonarqube"])
def test_stdin_filename_in_every_format(fmt: str) -> None:
    result = invoke("lint", "-f", fmt, "--stdin-filename", "services/api/Dockerfile", "-", input=APT)
    assert result.exit_code == 1
    assert "services/api/Dockerfile" in result.stdout
    assert '"-"' not in result.stdout and "-:1:" not in result.stdout


def test_stdin_filename_picks_the_settings_there(tmp_path: Path) -> None:
    root = project(tmp_path, {"svc/.codi.toml": 'ignore = ["DL3006"]\n'})
    code, found, _ = lint_json("--stdin-filename", str(root / "svc" / "Dockerfile"), "-", input=APT)
    assert found and all(f["file"] == str(root / "svc" / "Dockerfile") for f in found)
    assert "DL3006" not in {f["code"] for f in found}


def test_show_settings_names_files_selection_and_what_an_ignore_covers(tmp_path: Path) -> None:
    root = project(tmp_path, {".hadolint.yaml": "ignored: [DL3042]\nfailure-threshold: warning\n", "Dockerfile": APT})
    result = invoke("lint", "--show-settings", "--ignore", "DL3009", "--error", "DL3006", str(root / "Dockerfile"))
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert str(root / ".hadolint.yaml") in out and "command line" in out
    assert "failure-threshold: warning" in out
    assert "DL3006=error" in out
    assert "ignoring DL3009 also silences CD101" in out
    assert "ignoring DL3042 also silences CD101" in out
    assert "DL3008  apt-get-pin-versions (warning)" in out
    assert "DL3006  tag-image-version (error)" in out


def test_baseline_reports_only_new_findings_and_survives_moved_lines(tmp_path: Path) -> None:
    root = project(tmp_path, {"Dockerfile": APT})
    dockerfile = root / "Dockerfile"
    baseline = tmp_path / "codi-baseline.json"
    written = invoke("lint", "--write-baseline", str(baseline), str(dockerfile))
    assert written.exit_code == 0 and baseline.is_file()
    assert lint_json("--baseline", str(baseline), str(dockerfile))[:2] == (0, [])
    # lines moved down and re-indented: nothing new
    dockerfile.write_text("# comment\n\nFROM ubuntu\nRUN   apt-get update &&   apt-get install -y curl\n")
    assert lint_json("--baseline", str(baseline), str(dockerfile))[:2] == (0, [])
    # a new problem is reported, the old ones are not
    dockerfile.write_text("FROM ubuntu\nRUN apt-get update && apt-get install -y curl\nRUN cd /tmp\n")
    code, found, _ = lint_json("--baseline", str(baseline), str(dockerfile))
    assert code == 1 and {f["line"] for f in found} == {3}


def test_baseline_counts_repeated_findings(tmp_path: Path) -> None:
    root = project(tmp_path, {"Dockerfile": "FROM ubuntu:24.04\nRUN cd /a\n"})
    baseline = tmp_path / "b.json"
    invoke("lint", "--write-baseline", str(baseline), str(root / "Dockerfile"))
    (root / "Dockerfile").write_text("FROM ubuntu:24.04\nRUN cd /a\nRUN cd /a\n")
    _, found, _ = lint_json("--baseline", str(baseline), str(root / "Dockerfile"))
    assert {f["code"] for f in found} >= {"DL3003"} and all(f["line"] == 3 for f in found if f["code"] == "DL3003")


def test_bad_baseline_is_a_usage_error(tmp_path: Path) -> None:
    root = project(tmp_path, {"Dockerfile": APT})
    missing = invoke("lint", "--baseline", str(tmp_path / "none.json"), str(root / "Dockerfile"))
    assert missing.exit_code == 2 and "no such baseline" in missing.stderr
    (tmp_path / "bad.json").write_text("{not json")
    bad = invoke("lint", "--baseline", str(tmp_path / "bad.json"), str(root / "Dockerfile"))
    assert bad.exit_code == 2 and "not JSON" in bad.stderr


def test_show_fixes_lists_fixes_and_their_safety(tmp_path: Path) -> None:
    root = project(tmp_path, {"Dockerfile": APT})
    out = invoke("lint", "--show-fixes", str(root / "Dockerfile")).stdout
    assert "Fixes available" in out and "DL3009" in out and "(safe)" in out
    as_json = invoke("lint", "-f", "json", "--show-fixes", str(root / "Dockerfile"))
    json.loads(as_json.stdout)
    assert "Fixes available" in as_json.stderr


def test_fix_show_fixes_lists_what_was_applied(tmp_path: Path) -> None:
    root = project(tmp_path, {"Dockerfile": APT})
    result = invoke("fix", "--show-fixes", str(root / "Dockerfile"))
    assert "Fixed " in result.stderr and "DL3009" in result.stderr


def test_diff_is_coloured_only_when_asked(tmp_path: Path) -> None:
    root = project(tmp_path, {"Dockerfile": APT})
    plain = invoke("lint", "--diff", str(root / "Dockerfile")).stdout
    assert plain.startswith("---") and "\x1b[" not in plain
    colored = invoke("lint", "--diff", "--color", "always", str(root / "Dockerfile")).stdout
    assert "\x1b[32m+" in colored and "\x1b[31m-" in colored
