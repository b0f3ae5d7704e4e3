"""`codi lint` end to end, in-process: formats, exit codes, thresholds, selection, pragmas, config."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from lintkit import invoke, lint_json, project

UNTAGGED = "FROM ubuntu\nCMD [\"true\"]\n"  # DL3006 (warning): untagged image
CLEAN = "FROM alpine:3.20\nCMD [\"true\"]\n"


def codes_of(data: list[dict[str, object]]) -> set[object]:
    return {d["code"] for d in data}


def test_json_findings_and_exit_codes(tmp_path: Path) -> None:
    root = project(tmp_path, {"Dockerfile": UNTAGGED})
    code, data, stderr = lint_json(str(root / "Dockerfile"))
    assert code == 1, stderr
    dl3006 = [d for d in data if d["code"] == "DL3006"]
    assert dl3006 and dl3006[0]["line"] == 1 and dl3006[0]["level"] == "warning"
    assert dl3006[0]["file"] == str(root / "Dockerfile")
    assert lint_json(str(root / "Dockerfile"), "--no-fail")[0] == 0
    as_json = invoke("lint", "--json", str(root / "Dockerfile"))
    assert json.loads(as_json.stdout) == data and as_json.exit_code == 1


def test_failure_threshold(tmp_path: Path) -> None:
    root = project(tmp_path, {"Dockerfile": UNTAGGED})
    path = str(root / "Dockerfile")
    assert lint_json(path, "--select", "DL3006", "--failure-threshold", "error")[0] == 0
    assert lint_json(path, "--select", "DL3006", "--failure-threshold", "warning")[0] == 1
    assert lint_json(path, "--select", "DL3006", "-t", "none")[0] == 0
    assert lint_json(path, "--select", "DL3006", env={"CODI_FAILURE_THRESHOLD": "error"})[0] == 0
    # the flag beats the environment
    assert lint_json(path, "--select", "DL3006", "-t", "warning", env={"CODI_FAILURE_THRESHOLD": "error"})[0] == 1
    result = invoke("lint", path, "--failure-threshold", "fatal")
    assert result.exit_code == 2 and "fatal" in result.stderr


def test_select_ignore_extend_select(tmp_path: Path) -> None:
    text = "FROM ubuntu\n# hadolint ignore=DL3008\nRUN echo hi\n"
    root = project(tmp_path, {"Dockerfile": text})
    path = str(root / "Dockerfile")
    assert codes_of(lint_json(path, "--select", "DL3006")[1]) == {"DL3006"}
    assert codes_of(lint_json(path, "--select", "DL30,DL1")[1]) >= {"DL3006", "DL1001"}
    # DL1001 (inline pragmas) is off by default: only selecting it enables it
    assert "DL1001" not in codes_of(lint_json(path)[1])
    assert codes_of(lint_json(path, "--select", "DL1001")[1]) == {"DL1001"}
    assert "DL1001" in codes_of(lint_json(path, "--extend-select", "DL1001")[1])
    assert "DL3006" not in codes_of(lint_json(path, "--ignore", "DL3006")[1])
    result = invoke("lint", path, "--select", "DL9999")
    assert result.exit_code == 2 and "command line: unknown rule selector 'DL9999'" in result.stderr


def test_select_by_rule_name(tmp_path: Path) -> None:
    from codi.rules.registry import get_rule

    rule = get_rule("DL3006")
    assert rule is not None
    root = project(tmp_path, {"Dockerfile": UNTAGGED})
    assert codes_of(lint_json(str(root / "Dockerfile"), "--select", rule.name)[1]) == {"DL3006"}


def test_pragmas(tmp_path: Path) -> None:
    root = project(
        tmp_path,
        {
            "a/Dockerfile": "# hadolint ignore=DL3006\nFROM ubuntu\n",
            "b/Dockerfile": "# codi: global ignore=DL3006\nFROM alpine:3.20\nFROM ubuntu\n",
            "c/Dockerfile": UNTAGGED,
        },
    )
    _, data, _ = lint_json(str(root), "--select", "DL3006")
    assert {(Path(d["file"]).parent.name, d["line"]) for d in data} == {("c", 1)}


def test_codi_toml_pyproject_and_hadolint_yaml(tmp_path: Path) -> None:
    root = project(
        tmp_path,
        {
            "toml/.codi.toml": 'ignore = ["DL3006"]\n',
            "toml/Dockerfile": UNTAGGED,
            "py/pyproject.toml": '[tool.codi]\nselect = ["DL3006"]\n[tool.codi.severity]\nDL3006 = "style"\n',
            "py/Dockerfile": UNTAGGED,
            "hl/.hadolint.yaml": "override:\n  error:\n    - DL3006\n",
            "hl/Dockerfile": UNTAGGED,
            "ign/.hadolint.yml": "ignored: [DL3006]\n",
            "ign/Dockerfile": UNTAGGED,
        },
    )
    _, data, _ = lint_json(str(root))
    by_dir: dict[str, list[tuple[object, object]]] = {}
    for d in data:
        by_dir.setdefault(Path(str(d["file"])).parent.name, []).append((d["code"], d["level"]))
    assert not any(c == "DL3006" for c, _ in by_dir.get("toml", []))
    assert by_dir["py"] == [("DL3006", "style")]
    assert ("DL3006", "error") in by_dir["hl"]
    assert not any(c == "DL3006" for c, _ in by_dir.get("ign", []))
    # a style-only result passes the default threshold (info)
    assert lint_json(str(root / "py"))[0] == 0


def test_explicit_config_and_bad_config(tmp_path: Path) -> None:
    root = project(tmp_path, {"Dockerfile": UNTAGGED, "lint.toml": 'ignore = ["DL3006"]\n', "bad.toml": "ignore = 3\n"})
    path = str(root / "Dockerfile")
    assert "DL3006" not in codes_of(lint_json(path, "--config", str(root / "lint.toml"))[1])
    (root / "typo.toml").write_text('select = ["DL"]\nignore = [\n  "DL3006",\n  "DL9999",\n]\n')
    result = invoke("lint", path, "--config", str(root / "typo.toml"))
    assert result.exit_code == 2
    assert f"{root / 'typo.toml'}:4: unknown rule selector 'DL9999'" in result.stderr
    result = invoke("lint", path, "--config", str(root / "bad.toml"))
    assert result.exit_code == 2
    assert f"{root / 'bad.toml'}:1:" in result.stderr and "Traceback" not in result.stderr
    (root / ".codi.toml").write_text('failure-threshold = "loud"\n')
    result = invoke("lint", path)
    assert result.exit_code == 2 and ".codi.toml:1:" in result.stderr


def test_parse_error_file_and_valid_file_together(tmp_path: Path) -> None:
    root = project(tmp_path, {"bad/Dockerfile": "FROM alpine:3.20\nFORM oops\n", "good/Dockerfile": UNTAGGED})
    code, data, _ = lint_json(str(root))
    bad = [d for d in data if "bad" in str(d["file"])]
    # an invalid instruction is CD0001; the rest of that file is still checked (issue 12)
    assert [(d["code"], d["line"], d["level"]) for d in bad if d["code"] == "CD0001"] == [("CD0001", 2, "error")]
    assert any(d["code"] == "DL3006" and "good" in str(d["file"]) for d in data)
    assert code == 1


def test_missing_and_unreadable_paths_exit_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = project(tmp_path, {"Dockerfile": UNTAGGED, "locked/Dockerfile": CLEAN})
    result = invoke("lint", "--format", "json", str(root / "Dockerfile"), str(root / "nope"))
    assert result.exit_code == 2
    assert f"{root / 'nope'}: no such file or directory" in result.stderr
    assert json.loads(result.stdout)  # the readable file was still linted

    import codi.service.lint as service

    real_read = service._read

    def fake_read(found: service.Found, stdin_text: str | None, limit: int) -> str:
        if "locked" in found.path:
            raise PermissionError(13, "Permission denied", found.path)
        return real_read(found, stdin_text, limit)

    monkeypatch.setattr(service, "_read", fake_read)
    result = invoke("lint", str(root))
    assert result.exit_code == 2
    assert "locked/Dockerfile: cannot read: Permission denied" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_directory_discovery(tmp_path: Path) -> None:
    names = [
        "Dockerfile",
        "svc/Dockerfile.prod",
        "svc/api.Dockerfile",
        "svc/worker.dockerfile",
        "podman/Containerfile",
        "podman/Containerfile.dev",
        "node_modules/pkg/Dockerfile",
        ".hidden/Dockerfile",
        "vendor/x/Dockerfile",
        "templates/Dockerfile.j2",
        "Dockerfile.orig",
        "README.md",
        "dockerfiles.txt",
    ]
    root = project(tmp_path, {n: UNTAGGED for n in names})
    _, data, _ = lint_json(str(root), "--select", "DL3006")
    found = {str(Path(str(d["file"])).relative_to(root)) for d in data}
    assert found == {
        "Dockerfile",
        "svc/Dockerfile.prod",
        "svc/api.Dockerfile",
        "svc/worker.dockerfile",
        "podman/Containerfile",
        "podman/Containerfile.dev",
    }
    # a file named on the command line is linted whatever its name
    _, data, _ = lint_json(str(root / "templates" / "Dockerfile.j2"), "--select", "DL3006")
    assert len(data) == 1


def test_no_dockerfiles_found_is_an_input_error(tmp_path: Path) -> None:
    # issue 22: `codi lint empty/` said "All checks passed (0 files linted)" and exited 0
    root = project(tmp_path, {"README.md": "hi\n"})
    result = invoke("lint", str(root))
    assert result.exit_code == 2 and "no Dockerfiles found in this folder" in result.stderr
    assert "All checks passed" not in result.stdout
    (tmp_path / "empty").mkdir()
    assert invoke("lint", str(tmp_path / "empty")).exit_code == 2


def test_name_variants_are_found(tmp_path: Path) -> None:
    names = ["Dockerfile-prod", "Dockerfile_dev", "api.containerfile", "Containerfile-arm64", "Containerfile_ci",
             "prod.Dockerfile"]
    root = project(tmp_path, {name: "FROM alpine:3.20\n" for name in names}
                   | {"Dockerfile-prod.j2": "x", "Dockerfile.dockerignore": "x", "Dockerfile_notes.md": "x"})
    result = invoke("lint", "-f", "json", "--select", "ALL", "--no-fail", str(root))
    linted = {Path(f["file"]).name for f in json.loads(result.stdout)}
    assert linted == set(names), result.stderr


def test_stdin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(project(tmp_path, {}))
    code, data, _ = lint_json("-", "--select", "DL3006", input=UNTAGGED)
    assert code == 1 and [(d["file"], d["line"]) for d in data] == [("-", 1)]


def test_tty_output(tmp_path: Path) -> None:
    root = project(tmp_path, {"Dockerfile": UNTAGGED})
    path = str(root / "Dockerfile")
    result = invoke("lint", path, "--select", "DL3006")
    assert result.exit_code == 1
    assert f"{path}:1:1 DL3006 [warning]" in result.stdout
    assert "    1 | FROM ubuntu" in result.stdout
    assert "Found 1 finding in 1 of 1 file (0 errors, 1 warning, 0 info, 0 style); 0 fixable with --fix." in result.stdout
    assert "\x1b[" not in result.stdout  # not a terminal: no colour
    quiet = invoke("lint", path, "--select", "DL3006", "-q")
    assert "Found" not in quiet.stdout and "DL3006" in quiet.stdout


def test_unknown_format_is_a_usage_error(tmp_path: Path) -> None:
    root = project(tmp_path, {"Dockerfile": CLEAN})
    result = invoke("lint", str(root), "--format", "xml")
    assert result.exit_code == 2 and "unknown format 'xml'" in result.stderr


def test_a_crashing_rule_fails_the_lint(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from codi.rules.registry import get_rule

    rule = get_rule("DL3006")
    assert rule is not None

    def explode(self: object, ctx: object) -> list[object]:
        raise RuntimeError("kaboom")

    monkeypatch.setattr(rule, "check", explode)
    root = project(tmp_path, {"Dockerfile": UNTAGGED})
    result = invoke("lint", str(root), "--format", "json", "--select", "DL3006")
    assert "internal error in DL3006" in result.stderr and "kaboom" in result.stderr
    assert "Traceback" not in result.stderr
    # fail closed: exit 3 and an error entry in the output, never an empty (passing) result
    [entry] = json.loads(result.stdout)
    assert entry["code"] == "CD0000" and entry["level"] == "error" and "kaboom" in entry["message"]
    assert result.exit_code == 3


def test_command_line_selection_layers_over_the_config_file(tmp_path: Path) -> None:
    text = "FROM ubuntu\nRUN echo a\nRUN echo b\n"  # DL3006 and DL3059 (consecutive RUNs)
    root = project(tmp_path, {".codi.toml": 'select = ["DL3006"]\n', "Dockerfile": text})
    path = str(root / "Dockerfile")
    assert codes_of(lint_json(path)[1]) == {"DL3006"}
    assert codes_of(lint_json(path, "--extend-select", "DL3059")[1]) == {"DL3006", "DL3059"}
    assert codes_of(lint_json(path, "--select", "DL3059")[1]) == {"DL3059"}
    assert codes_of(lint_json(path, env={"CODI_IGNORE": "DL3006"})[1]) == set()


def test_lint_fix_and_diff_delegate_to_the_fixer(tmp_path: Path) -> None:
    text = "FROM alpine:3.20\nMAINTAINER me@example.com\n"
    root = project(tmp_path, {"Dockerfile": text})
    path = root / "Dockerfile"
    diff = invoke("lint", "--diff", str(path))
    assert diff.stdout.startswith("--- a/") and path.read_text() == text  # --diff writes nothing
    fixed = invoke("lint", "--fix", "--no-fail", str(path))
    assert fixed.exit_code == 0 and path.read_text() != text
    assert "MAINTAINER" not in path.read_text()
    lonely = invoke("lint", "--unsafe-fixes", str(path))
    assert lonely.exit_code == 2 and "only applies with --fix or --diff" in lonely.stderr


def test_rule_settings_from_hadolint_yaml_reach_the_rules(tmp_path: Path) -> None:
    root = project(
        tmp_path,
        {
            ".hadolint.yaml": "trustedRegistries: [docker.io]\nlabel-schema:\n  author: text\nstrict-labels: true\n",
            "Dockerfile": "FROM quay.io/x/y:1\nLABEL author=me other=1\n",
        },
    )
    _, data, _ = lint_json(str(root / "Dockerfile"), "--select", "DL3026,DL3050")
    assert {(d["code"], d["line"]) for d in data} == {("DL3026", 1), ("DL3050", 2)}
    (root / ".hadolint.yaml").write_text("trustedRegistries: [quay.io]\n")
    _, data, _ = lint_json(str(root / "Dockerfile"), "--select", "DL3026,DL3050")
    assert data == []
