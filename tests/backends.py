"""Real back-ends on 127.0.0.1 for the tests that need them (fixtures re-exported by tests/conftest.py):
a throwaway Postgres from Debian's `postgresql` package (initdb/pg_ctl, as the `postgres` user when
run as root) and moto's S3 server. Each stops by itself at the end of the session; a test that needs
one skips with a clear message only when its extra or package is missing (`make test` installs them)."""

from __future__ import annotations

import glob
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _pg_bin() -> Path | None:
    """The folder of initdb/pg_ctl: on PATH, else Debian's /usr/lib/postgresql/<version>/bin."""
    found = shutil.which("initdb")
    if found and shutil.which("pg_ctl"):
        return Path(found).resolve().parent
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    return Path(candidates[-1]).parent if candidates else None


@pytest.fixture(scope="session")
def postgres() -> Iterator[str]:
    """A throwaway Postgres cluster on 127.0.0.1:<random port>; yields its admin URL."""
    pytest.importorskip("psycopg", reason="the codi[postgres] extra (psycopg 3) is not installed")
    bindir = _pg_bin()
    if bindir is None:
        pytest.skip("Debian's postgresql package is not installed (no initdb/pg_ctl; `make test` installs it)")
    root = os.geteuid() == 0
    run_as: dict[str, Any] = {}
    folder = Path(tempfile.mkdtemp(prefix="codi-pg-", dir="/tmp"))
    if root:  # initdb refuses root: the cluster belongs to `postgres`, in a folder it can reach
        import pwd

        try:
            user = pwd.getpwnam("postgres")
        except KeyError:
            shutil.rmtree(folder)
            pytest.skip("no `postgres` user to run the throwaway cluster as (install Debian's postgresql)")
        os.chown(folder, user.pw_uid, user.pw_gid)
        run_as = {"user": user.pw_uid, "group": user.pw_gid, "extra_groups": []}
    data, port = folder / "data", _free_port()
    env = {"PATH": "/usr/bin:/bin", "LC_ALL": "C", "HOME": str(folder)}

    def pg(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(bindir / args[0]), *args[1:]], cwd=folder, env=env, capture_output=True,
                              text=True, timeout=120, check=False, **run_as)

    try:
        done = pg("initdb", "-D", str(data), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync")
        assert done.returncode == 0, done.stderr
        options = f"-c listen_addresses=127.0.0.1 -p {port} -k {folder} -c fsync=off -c max_connections=40"
        done = pg("pg_ctl", "-D", str(data), "-l", str(folder / "log"), "-o", options, "-w", "-t", "60", "start")
        assert done.returncode == 0, done.stderr + (folder / "log").read_text(errors="replace")
        try:
            yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
        finally:
            pg("pg_ctl", "-D", str(data), "-m", "fast", "-w", "stop")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def pg_url(postgres: str) -> str:
    """A fresh database on the throwaway cluster for one test."""
    import psycopg

    name = f"t_{secrets.token_hex(4)}"
    with psycopg.connect(postgres, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    return postgres.rsplit("/", 1)[0] + f"/{name}"


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """moto's S3 server on 127.0.0.1:<random port>, with test credentials in the environment."""
    pytest.importorskip("obstore", reason="the codi[s3] extra (obstore) is not installed")
    server_mod = pytest.importorskip("moto.server", reason="moto[server] (the dev extra) is not installed")
    saved = {k: os.environ.get(k) for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION",
                                            "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL")}
    os.environ.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_REGION="us-east-1",
                      AWS_DEFAULT_REGION="us-east-1")
    os.environ.pop("AWS_ENDPOINT_URL", None)
    server = server_mod.ThreadedMotoServer(ip_address="127.0.0.1", port=_free_port(), verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        yield f"http://{host}:{port}"
    finally:
        server.stop()
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


