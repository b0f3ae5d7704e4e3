"""Engine adapters against stand-in CLIs (tiny scripts), so their parsing is checked without a daemon."""

from __future__ import annotations

import json
import stat
from pathlib import Path

from codi.imagebuild.buildah import BuildahEngine
from codi.imagebuild.docker import DockerEngine

_DOCKER_INSPECT = [{"Id": "sha256:abc", "Size": 12345, "RootFS": {"Layers": ["a", "b", "c"]},
                    "Config": {"User": "app", "Cmd": ["/app/run"], "Entrypoint": None,
                               "ExposedPorts": {"8080/tcp": {}, "9090/udp": {}}, "WorkingDir": "/app"}}]


def _script(tmp_path: Path, name: str, body: str) -> str:
    path = tmp_path / name
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return str(path)


def test_missing_binaries_say_so() -> None:
    assert "not on PATH" in (DockerEngine("/nonexistent/docker").available() or "")
    assert "apt-get install" in (BuildahEngine("/nonexistent/buildah").available() or "")


def test_docker_without_daemon_is_unavailable(tmp_path: Path) -> None:
    fake = _script(tmp_path, "docker", 'echo "Cannot connect to the Docker daemon" >&2; exit 1\n')
    assert "no reachable Docker daemon" in (DockerEngine(fake).available() or "")


def test_docker_inspect_parsing(tmp_path: Path) -> None:
    fake = _script(tmp_path, "docker", f"cat <<'EOF'\n{json.dumps(_DOCKER_INSPECT)}\nEOF\n")
    info = DockerEngine(fake).inspect("img")
    assert (info.image_id, info.size_bytes, info.layers, info.user) == ("sha256:abc", 12345, 3, "app")
    assert info.cmd == ["/app/run"] and info.entrypoint == [] and info.ports == [8080, 9090]


def test_buildah_inspect_sums_uncompressed_layers(tmp_path: Path) -> None:
    manifest = {"layers": [{"size": 1000}, {"size": 234}]}
    data = {"FromImageID": "f00", "Manifest": json.dumps(manifest),
            "OCIv1": {"config": {"User": "65532:65532", "Cmd": ["/app/greeter"], "ExposedPorts": {"8080/tcp": {}}},
                      "rootfs": {"diff_ids": ["x", "y"]}}}
    fake = _script(tmp_path, "buildah", f"cat <<'EOF'\n{json.dumps(data)}\nEOF\n")
    info = BuildahEngine(fake).inspect("img")
    assert (info.image_id, info.size_bytes, info.layers, info.user) == ("f00", 1234, 2, "65532:65532")
    assert info.ports == [8080]


def test_build_failure_and_timeout_carry_logs(tmp_path: Path) -> None:
    from codi.imagebuild.engine import EngineError

    failing = _script(tmp_path, "buildah", 'echo "STEP 2/2: RUN false"; echo "error building"; exit 1\n')
    engine = BuildahEngine(failing)
    engine._unshare = False  # no namespace wrapper for a fake binary
    try:
        engine.build(tmp_path, tmp_path / "Dockerfile", "t", 10, network=False)
    except EngineError as exc:
        assert "exit 1" in exc.message and "error building" in exc.log
    else:
        raise AssertionError("a failing build did not raise")
    hanging = _script(tmp_path, "slow", 'echo started; sleep 30\n')
    engine = BuildahEngine(hanging)
    engine._unshare = False
    try:
        engine.build(tmp_path, tmp_path / "Dockerfile", "t", 0.5, network=False)
    except EngineError as exc:
        assert "timed out" in exc.message and "started" in exc.log
    else:
        raise AssertionError("a hanging build did not time out")


def test_a_build_whose_cache_image_vanished_meanwhile_is_run_once_more(tmp_path: Path) -> None:
    """Regression: another run's clean-up removed a cache image this build had found ("layer not known"):
    the build is run again once; any other failure is not."""
    count = tmp_path / "count"
    racy = _script(tmp_path, "buildah", f'echo x >> {count}; n=$(wc -l < {count})\n'
                   'if [ "$n" -eq 1 ]; then echo "Error: checking if cached image exists from a previous build: '
                   'getting top layer info: layer not known"; exit 125; fi\necho "--> 0123456789ab"\n')
    engine = BuildahEngine(racy)
    engine._unshare = False
    outcome = engine.build(tmp_path, tmp_path / "Dockerfile", "t", 10, network=False)
    assert count.read_text().count("x") == 2 and outcome.images == ["0123456789ab"]
    from codi.imagebuild.engine import EngineError

    count.unlink()
    failing = _script(tmp_path, "buildah", f'echo x >> {count}; echo "error building"; exit 1\n')
    engine = BuildahEngine(failing)
    engine._unshare = False
    try:
        engine.build(tmp_path, tmp_path / "Dockerfile", "t", 10, network=False)
    except EngineError:
        assert count.read_text().count("x") == 1
    else:
        raise AssertionError("a failing build did not raise")



def test_the_cache_images_a_failed_build_committed_are_removed_with_the_runs_others(tmp_path: Path) -> None:
    """Regression: the steps before a failing one were committed and never removed (a run whose original
    failed left them in the engine's storage, and every later build's cache check walks them all)."""
    from fake_engine import FakeEngine

    from codi.imagebuild.engine import EngineError
    from codi.imagebuild.measure_image import BuildSettings, measure_dockerfile

    failing = _script(tmp_path, "buildah", 'echo "STEP 1/3: FROM x"; echo "--> Using cache 1111111111aa"; '
                      'echo "--> 1111111111aa"; echo "STEP 2/3: COPY . ."; echo "--> 2222222222bb"; '
                      'echo "STEP 3/3: RUN false"; echo "error building at STEP"; exit 1\n')
    engine = BuildahEngine(failing)
    engine._unshare = False
    try:
        engine.build(tmp_path, tmp_path / "Dockerfile", "t", 10, network=False)
    except EngineError as exc:
        assert exc.images == ["2222222222bb"]  # its own commit; the cache hit is not its to remove
    else:
        raise AssertionError("a failing build did not raise")

    class Failing(FakeEngine):
        def build(self, *args: object, **kwargs: object) -> object:
            raise EngineError("build failed (exit 1)", "log", None, ["2222222222bb"])

    got = measure_dockerfile(Failing(), tmp_path, "FROM scratch\nCOPY . .\n", "t", BuildSettings())
    assert got.error == "build failed (exit 1)" and got.images == ["2222222222bb"]


_BUD_OUTPUT = """[1/2] STEP 1/3: FROM localhost/codi-standin/golang:bookworm AS build
[1/2] STEP 2/3: COPY go.mod ./go.mod
--> Using cache 1e649b1d5bd91d5cb3b80f60ef44dabc761e2a79843876234312c072db869815
--> 1e649b1d5bd
[1/2] STEP 3/3: COPY . .
--> eecebdf71ad
[2/2] STEP 1/2: FROM scratch
[2/2] STEP 2/2: CMD ["/app/greeter"]
[2/2] COMMIT localhost/t:1
--> a1ddeeeff0b
Successfully tagged localhost/t:1
a1ddeeeff0bef1a5b0f5c1d9c0e251366637899e8a7ca79ae79829a911eac307
"""


def test_buildah_build_reports_only_the_images_it_committed(tmp_path: Path) -> None:
    # Cache hits may belong to another run sharing the storage: clean-up must leave them alone.
    fake = _script(tmp_path, "buildah", f"cat <<'EOF'\n{_BUD_OUTPUT}EOF\necho \"$@\" > {tmp_path}/args\n")
    engine = BuildahEngine(fake)
    engine._unshare = False
    got = engine.build(tmp_path, tmp_path / "Dockerfile", "t", 10, network=False, build_args={"GO": "1.22"})
    assert got.images == ["eecebdf71ad", "a1ddeeeff0b"]
    args = (tmp_path / "args").read_text().split()
    assert "--pull=never" in args and args[args.index("--build-arg") + 1] == "GO=1.22"
    # The build network is for RUN steps: base images are still never pulled (issue 24).
    engine.build(tmp_path, tmp_path / "Dockerfile", "t", 10, network=True,
                 mounts=[(tmp_path / "ca.pem", "/etc/ssl/certs/ca-certificates.crt")])
    args = (tmp_path / "args").read_text().split()
    assert "--pull=never" in args and "--pull=missing" not in args
    assert args[args.index("--volume") + 1] == f"{tmp_path / 'ca.pem'}:/etc/ssl/certs/ca-certificates.crt:ro"


def test_buildah_availability_asks_again_when_a_listing_races_with_a_clean_up(tmp_path: Path) -> None:
    # Regression: `buildah images` failed with "image not known" while another run removed its images, and
    # measured mode (now failing closed) reported buildah unusable.
    counter = tmp_path / "count"
    body = (f'n=$(cat {counter} 2>/dev/null || echo 0); echo $((n+1)) > {counter}\n'
            'if [ "$n" = 0 ]; then echo \'Error: locating image with ID "ab": image not known\' >&2; exit 125; fi\n')
    engine = BuildahEngine(_script(tmp_path, "buildah", body))
    assert engine.available() is None
    assert counter.read_text().strip() == "2"
