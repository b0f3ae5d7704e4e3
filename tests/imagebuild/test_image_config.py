"""The built image's config against the static runtime contract: fake inspect JSON, no engine needed."""

from __future__ import annotations

import json
import stat
import sys
from pathlib import Path
from typing import Any

import pytest
from fake_engine import DEMO_GO, STANDIN, FakeEngine

from codi.imagebuild.basemap import apply_base_map
from codi.imagebuild.buildah import BuildahEngine
from codi.imagebuild.engine import ImageInfo
from codi.imagebuild.image_config import check_built_image, compare_config, dockerfile_contract
from codi.imagebuild.measure_image import BuildSettings, measure_dockerfile

GO_TEXT = (DEMO_GO / "Dockerfile").read_text()
GO_PATH = "/go/bin:/usr/local/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def _golang_config(**over: Any) -> dict[str, Any]:
    """What `docker image inspect` says (Config) about the go demo built on the real golang:1.22."""
    config: dict[str, Any] = {
        "Cmd": ["/bin/sh", "-c", "greeter"], "Entrypoint": None, "User": "", "WorkingDir": "/go/src/greeter",
        "Env": [f"PATH={GO_PATH}", "GOLANG_VERSION=1.22.12", "GOTOOLCHAIN=local", "GOPATH=/go"],
        "ExposedPorts": {"8080/tcp": {}}, "Healthcheck": None}
    config.update(over)
    return config


def test_go_demo_config_matches_its_static_contract() -> None:
    check = check_built_image(GO_TEXT, None, _golang_config())
    assert check.ok, check.mismatches
    assert check.checked == ["entrypoint", "cmd", "user", "workdir", "env", "ports", "healthcheck"]
    assert not check.restricted


def test_each_difference_is_named() -> None:
    config = _golang_config(Cmd=["greeter"], User="nobody", WorkingDir="/app", ExposedPorts={"9090/tcp": {}},
                            Env=[f"PATH={GO_PATH}", "GOTOOLCHAIN=auto", "EXTRA=1"],
                            Healthcheck={"Test": ["CMD", "curl", "-f", "http://localhost"]})
    got = check_built_image(GO_TEXT, None, config).mismatches
    assert got == [
        'CMD: the static contract has ["/bin/sh", "-c", "greeter"], the built image ["greeter"]',
        "USER: the static contract has root, the built image nobody",
        "WORKDIR: the static contract has /go/src/greeter, the built image /app",
        "ENV GOLANG_VERSION: set in the static contract, missing from the built image",
        "ENV GOPATH: set in the static contract, missing from the built image",
        "ENV GOTOOLCHAIN: the static contract has local, the built image auto",
        "ENV EXTRA=1: in the built image, not in the static contract",
        "EXPOSE: the static contract has 8080/tcp, the built image 9090/tcp",
        'HEALTHCHECK: the static contract has (none), the built image ["curl", "-f", "http://localhost"]',
    ]


def test_root_spellings_and_tag_dependent_env_are_equal() -> None:
    for user in ("", "root", "0", "0:0", "root:root"):
        # GOLANG_VERSION is tag-dependent in the contract (None): any value will do.
        env = [f"PATH={GO_PATH}", "GOLANG_VERSION=1.22.0", "GOTOOLCHAIN=local", "GOPATH=/go"]
        assert check_built_image(GO_TEXT, None, _golang_config(User=user, Env=env)).ok


def test_healthcheck_argv_shell_and_exec_form() -> None:
    text = ("FROM golang:1.22\nHEALTHCHECK --interval=5s CMD wget -qO- http://localhost:8080/ || exit 1\n"
            'CMD ["greeter"]\n')
    shell = {"Test": ["CMD-SHELL", "wget -qO- http://localhost:8080/ || exit 1"], "Interval": 5_000_000_000}
    config = _golang_config(Cmd=["greeter"], WorkingDir="/go", ExposedPorts=None, Healthcheck=shell)
    assert check_built_image(text, None, config).ok
    config["Healthcheck"] = {"Test": ["CMD", "wget", "-qO-", "http://localhost:8080/"]}
    assert [m.split(":")[0] for m in check_built_image(text, None, config).mismatches] == ["HEALTHCHECK"]
    none = "FROM golang:1.22\nHEALTHCHECK NONE\nCMD [\"greeter\"]\n"
    config["Healthcheck"] = {"Test": ["NONE"]}
    assert check_built_image(none, None, config).ok


def test_scratch_image_may_get_the_engines_default_path() -> None:
    text = 'FROM scratch\nCOPY greeter /greeter\nUSER 65532:65532\nENTRYPOINT ["/greeter"]\n'
    config = {"Entrypoint": ["/greeter"], "Cmd": None, "User": "65532:65532",
              "Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]}
    check = check_built_image(text, None, config)
    assert check.ok, check.mismatches


def test_stand_in_base_compares_only_what_the_dockerfile_sets() -> None:
    built_text, used = apply_base_map(GO_TEXT, {"golang:*": STANDIN})
    assert used == {"golang:1.22": STANDIN}
    # The stand-in's own config is nothing like golang:1.22's: other PATH, no GOPATH, its own CMD.
    stand_in = _golang_config(Env=["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"])
    check = check_built_image(GO_TEXT, built_text, stand_in)
    assert check.ok, check.mismatches
    assert check.restricted and check.checked == ["cmd", "workdir", "ports"]
    # ... but what the Dockerfile itself sets is still checked.
    wrong = check_built_image(GO_TEXT, built_text, _golang_config(Cmd=["bash"], ExposedPorts={}))
    assert wrong.mismatches == [
        'CMD: the static contract has ["/bin/sh", "-c", "greeter"], the built image ["bash"]',
        "EXPOSE: the static contract has 8080/tcp, the built image (none)"]


def test_stand_in_env_set_by_the_dockerfile_is_checked_unless_it_expands_a_base_variable() -> None:
    text = "FROM golang:1.22\nENV APP_MODE=prod PATH=/app/bin:$PATH\nCMD [\"greeter\"]\n"
    built_text, _ = apply_base_map(text, {"golang:*": STANDIN})
    config = _golang_config(Cmd=["greeter"], WorkingDir="/", ExposedPorts=None,
                            Env=["PATH=/app/bin:/usr/bin:/bin", "APP_MODE=prod"])
    check = check_built_image(text, built_text, config)
    assert check.ok, check.mismatches
    config["Env"] = ["PATH=/app/bin:/usr/bin:/bin", "APP_MODE=dev"]
    assert check_built_image(text, built_text, config).mismatches == [
        "ENV APP_MODE: the static contract has prod, the built image dev"]


def test_unknown_base_compares_only_what_the_dockerfile_sets() -> None:
    text = 'FROM registry.example.com/team/base:7\nWORKDIR /srv\nCMD ["serve"]\n'
    static = dockerfile_contract(text)
    check = compare_config(static, {"Cmd": ["serve"], "WorkingDir": "/srv", "Env": ["FROM_BASE=1"],
                                    "Entrypoint": ["/init"], "User": "svc"})
    assert check.ok and check.restricted and check.checked == ["cmd", "workdir"]


def test_a_file_that_does_not_parse_gives_an_error_not_a_crash() -> None:
    check = check_built_image("FROM golang:1.22\nCOPY --chown\n", None, {"Cmd": ["a"]})
    assert check.error is not None and check.error.startswith("no static contract: Dockerfile:2:")
    assert not check.ok and check.as_dict()["error"] == check.error


def _script(tmp_path: Path, name: str, body: str) -> str:
    path = tmp_path / name
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return str(path)


def test_buildah_inspect_keeps_the_docker_format_healthcheck(tmp_path: Path) -> None:
    health = {"Test": ["CMD-SHELL", "true"], "Interval": 30_000_000_000}
    data = {"FromImageID": "f00", "Manifest": json.dumps({"layers": []}),
            "OCIv1": {"config": {"Cmd": ["greeter"], "WorkingDir": "/app", "Env": ["A=1"]},
                      "rootfs": {"diff_ids": []}},
            "Docker": {"config": {"Cmd": ["greeter"], "Healthcheck": health}}}
    fake = _script(tmp_path, "buildah", f"cat <<'EOF'\n{json.dumps(data)}\nEOF\n")
    info = BuildahEngine(fake).inspect("img")
    assert info.config == {"Cmd": ["greeter"], "WorkingDir": "/app", "Env": ["A=1"], "Healthcheck": health}


class ConfigEngine(FakeEngine):
    """A fake engine whose built images report a config (the one given, for every build)."""

    def __init__(self, config: dict[str, Any]) -> None:
        super().__init__()
        self.config = config

    def inspect(self, ref: str) -> ImageInfo:
        info = super().inspect(ref)
        info.config = dict(self.config)
        info.cmd = [sys.executable, "-c", "pass"]  # what the smoke run starts
        return info


def test_measure_dockerfile_records_the_comparison(tmp_path: Path) -> None:
    engine = ConfigEngine(_golang_config(Cmd=["greeter"]))
    settings = BuildSettings(rebuild=False, smoke=False, base_map={"golang:*": STANDIN})
    got = measure_dockerfile(engine, DEMO_GO, GO_TEXT, "t:1", settings)
    assert got.error is None
    assert got.config_check == {
        "checked": ["cmd", "workdir", "ports"], "dockerfile_only": True,
        "mismatches": ['CMD: the static contract has ["/bin/sh", "-c", "greeter"], the built image ["greeter"]']}


def test_measure_puts_mismatches_in_engine_info_and_notes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from codi.service.analyze import analyze
    from codi.service.measure import MeasureOptions, measure

    monkeypatch.setenv("CODI_BASES_DIR", str(tmp_path / "no-bases"))
    monkeypatch.setenv("CODI_BASE_MAP", f"golang:*={STANDIN}")
    monkeypatch.setattr("codi.service.measure._disk_problem", lambda engine, need: None)
    analysis = analyze(DEMO_GO, None, None, None)
    engine = ConfigEngine(_golang_config(Cmd=["greeter"]))
    result = measure(None, analysis, [], MeasureOptions(smoke_seconds=0.5), engine=engine)
    assert result.engine["config_check"]["original"]["mismatches"]
    assert result.notes == ['the original: static contract differs from the built image: CMD: the static contract '
                            'has ["/bin/sh", "-c", "greeter"], the built image ["greeter"]']


def test_a_stand_in_build_stage_does_not_restrict_a_scratch_image() -> None:
    text = ("FROM golang:1.22 AS build\nRUN go build -o /out/app .\nFROM scratch\nCOPY --from=build /out/app /app\n"
            'USER 65532:65532\nEXPOSE 8080\nENTRYPOINT ["/app"]\n')
    built_text, used = apply_base_map(text, {"golang:*": STANDIN})
    assert used
    config = {"Entrypoint": ["/app"], "User": "65532:65532", "ExposedPorts": {"8080/tcp": {}},
              "Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]}
    check = check_built_image(text, built_text, config)
    assert check.ok and not check.restricted, check.mismatches
    assert check.checked == ["entrypoint", "cmd", "user", "workdir", "env", "ports", "healthcheck"]
