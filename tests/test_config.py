"""Settings: .codi.toml, [tool.codi] in pyproject.toml, .hadolint.yaml, CODI_* env, precedence, errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from codi.config import ConfigError, ConfigLayer, ConfigResolver, find_config_files, load_file


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_codi_toml_keys(tmp_path: Path) -> None:
    layer = load_file(
        write(
            tmp_path / ".codi.toml",
            'select = ["DL", "CD1"]\nextend-select = "SC2086, BK"\nignore = ["DL3008"]\n'
            'failure-threshold = "Warning"\nno-fail = true\ntrusted-registries = ["docker.io"]\n'
            'strict-labels = true\n[severity]\nDL3006 = "error"\n[label-schema]\nauthor = "text"\n',
        )
    )
    assert layer.select == ["DL", "CD1"]
    assert layer.extend_select == ["SC2086", "BK"]
    assert layer.ignore == ["DL3008"]
    assert layer.failure_threshold == "warning"
    assert layer.no_fail is True
    assert layer.severity == {"DL3006": "error"}
    assert layer.trusted_registries == ["docker.io"]
    assert layer.label_schema == {"author": "text"}
    assert layer.strict_labels is True


def test_pyproject_tool_codi_and_lint_subtable(tmp_path: Path) -> None:
    layer = load_file(
        write(tmp_path / "pyproject.toml", '[project]\nname = "x"\n[tool.codi.lint]\nignore = ["DL3059"]\n')
    )
    assert layer.ignore == ["DL3059"]


def test_hadolint_yaml_is_mapped(tmp_path: Path) -> None:
    layer = load_file(
        write(
            tmp_path / ".hadolint.yaml",
            "ignored:\n  - DL3008\n  - SC2086\noverride:\n  error: [DL3006]\n  style:\n    - DL3015\n"
            "trustedRegistries: [docker.io, my.registry:5000]\nfailure-threshold: error\n"
            "label-schema:\n  maintainer: email\nstrict-labels: true\nno-fail: false\nformat: json\n",
        )
    )
    assert layer.ignore == ["DL3008", "SC2086"]
    assert layer.severity == {"DL3006": "error", "DL3015": "style"}
    assert layer.trusted_registries == ["docker.io", "my.registry:5000"]
    assert layer.failure_threshold == "error"
    assert layer.label_schema == {"maintainer": "email"}
    assert layer.strict_labels is True and layer.no_fail is False


@pytest.mark.parametrize(
    ("name", "text", "needle", "line"),
    [
        (".codi.toml", 'select = ["DL"]\nfailure-threshold = "severe"\n', "failure-threshold", 2),
        (".codi.toml", "select = [\n", "invalid TOML", None),
        (".codi.toml", 'selct = ["DL"]\n', "unknown setting `selct`", 1),
        (".codi.toml", "ignore = 3\n", "list of rule codes", 1),
        (".hadolint.yaml", "ignored: [DL3008\nfoo: 1\n", "invalid YAML", 2),
        (".hadolint.yaml", "override:\n  fatal: [DL3008]\n", "override.fatal", 2),
        (".hadolint.yaml", "- just a list\n", "mapping", 1),
    ],
)
def test_bad_config_is_one_line_with_file_and_line(
    tmp_path: Path, name: str, text: str, needle: str, line: int | None
) -> None:
    path = write(tmp_path / name, text)
    with pytest.raises(ConfigError) as err:
        load_file(path)
    message = str(err.value)
    assert "\n" not in message
    assert needle in message
    assert message.startswith(str(path) + (f":{line}:" if line else ":"))


def test_discovery_walks_up_to_the_repo_root(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    write(tmp_path / ".codi.toml", "ignore = []\n")  # outside the repo: never reached
    hadolint = write(repo / ".hadolint.yml", "ignored: [DL3008]\n")
    codi = write(repo / "services" / "pyproject.toml", '[tool.codi]\nignore = ["DL3006"]\n')
    write(repo / "services" / "api" / "pyproject.toml", '[project]\nname = "api"\n')  # no [tool.codi]
    folder = repo / "services" / "api"
    assert find_config_files(folder) == [hadolint.resolve(), codi.resolve()]
    assert find_config_files(repo) == [hadolint.resolve()]


def test_precedence_cli_over_env_over_files(tmp_path: Path) -> None:
    write(tmp_path / ".hadolint.yaml", "failure-threshold: error\ntrustedRegistries: [a.io]\n")
    write(tmp_path / ".codi.toml", 'failure-threshold = "warning"\n')
    env = {"CODI_FAILURE_THRESHOLD": "style", "CODI_TRUSTED_REGISTRIES": "b.io,c.io"}
    plain = ConfigResolver(ConfigLayer("command line"), env={}).for_folder(tmp_path)
    assert plain.failure_threshold == "warning" and plain.trusted_registries == ["a.io"]
    with_env = ConfigResolver(ConfigLayer("command line"), env=env).for_folder(tmp_path)
    assert with_env.failure_threshold == "style" and with_env.trusted_registries == ["b.io", "c.io"]
    with_cli = ConfigResolver(ConfigLayer("command line", failure_threshold="none"), env=env).for_folder(tmp_path)
    assert with_cli.failure_threshold == "none"
    assert with_cli.sources == [str(tmp_path / ".hadolint.yaml"), str(tmp_path / ".codi.toml"), "environment",
                                "command line"]


def test_explicit_config_replaces_discovery(tmp_path: Path) -> None:
    write(tmp_path / ".codi.toml", 'ignore = ["DL3006"]\n')
    other = write(tmp_path / "ci" / "lint.toml", 'ignore = ["DL3008"]\n')
    resolver = ConfigResolver(ConfigLayer("command line"), config_file=str(other), env={})
    settings = resolver.for_folder(tmp_path)
    assert [layer.ignore for layer in settings.layers] == [["DL3008"]]
    assert resolver.used == [str(other)]
    with pytest.raises(ConfigError, match="config file not found"):
        ConfigResolver(ConfigLayer("command line"), config_file=str(tmp_path / "nope.toml"), env={})


def test_bad_environment_values(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="CODI_FAILURE_THRESHOLD"):
        ConfigResolver(ConfigLayer("command line"), env={"CODI_FAILURE_THRESHOLD": "loud"})
    with pytest.raises(ConfigError, match="CODI_NO_FAIL"):
        ConfigResolver(ConfigLayer("command line"), env={"CODI_NO_FAIL": "maybe"})


def test_hadolint_config_may_name_codes_codi_does_not_know(tmp_path: Path) -> None:
    from codi.rules.registry import all_rules
    from codi.service.lint import file_settings

    write(tmp_path / ".hadolint.yaml", "ignored: [DL9999, DL3006]\noverride:\n  error: [DL9998]\n")
    settings = ConfigResolver(ConfigLayer("command line"), env={}).for_folder(tmp_path)
    fs = file_settings(settings, all_rules())
    assert not fs.selection.selects("DL3006")
    write(tmp_path / ".codi.toml", 'ignore = ["DL9999"]\n')
    strict = ConfigResolver(ConfigLayer("command line"), env={}).for_folder(tmp_path)
    with pytest.raises(ConfigError, match="DL9999"):
        file_settings(strict, all_rules())
