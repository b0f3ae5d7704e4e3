"""An --out folder the user cannot write is one clear input error, also when the suite runs as root (CI
containers): root can write anywhere, so there the check runs in a forked child that became `nobody`.

A fork, not a new interpreter: the interpreter may live where `nobody` cannot read it (/root/.pyenv), so the
child reuses this process's already imported modules (a dry run as root imports them first).
"""

from __future__ import annotations

import os
import pwd
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from codi.service.errors import InputError
from codi.service.run import RunOptions, run_project

DEMO = Path(__file__).resolve().parents[2] / "demo" / "go"


def _nobody() -> tuple[int, int]:
    try:
        entry = pwd.getpwnam("nobody")
        return entry.pw_uid, entry.pw_gid
    except KeyError:
        return 65534, 65534


def _as_nobody(check: Callable[[], str], timeout: float = 120) -> str:
    """``check()`` in a forked child with nobody's uid and gid; its result, or AssertionError with its error."""
    uid, gid = _nobody()
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never return into pytest
        code = 1
        try:
            os.close(read_end)
            os.setgroups([])
            os.setgid(gid)
            os.setuid(uid)
            text, code = check(), 0
        except BaseException as exc:  # reported to the parent
            text = f"{type(exc).__name__}: {exc}"
        os.write(write_end, text.encode())
        os._exit(code)
    os.close(write_end)
    deadline = time.monotonic() + timeout
    while (done := os.waitpid(pid, os.WNOHANG))[0] == 0:
        if time.monotonic() > deadline:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
            raise AssertionError(f"the check as nobody did not finish in {timeout:.0f} s")
        time.sleep(0.05)
    with os.fdopen(read_end, "rb") as pipe:
        text = pipe.read().decode()
    status = os.waitstatus_to_exitcode(done[1])
    assert status == 0, f"as nobody: exit {status}: {text}"
    return text


def test_unwritable_out_dir_is_an_input_error_for_any_user(monkeypatch: pytest.MonkeyPatch) -> None:
    # A scratch folder `nobody` can reach (pytest's tmp_path may be private to root).
    with tempfile.TemporaryDirectory(prefix="codi-ro-") as tmp:
        base = Path(tmp)
        base.chmod(0o755)
        out = base / "ro"
        out.mkdir()
        out.chmod(0o555)
        cache = base / "cache"
        cache.mkdir()
        cache.chmod(0o777)
        monkeypatch.setenv("CODI_CACHE_DIR", str(cache))
        run_project(DEMO, RunOptions(llm=False, out=out, dry_run=True))  # imports everything the run needs

        def check() -> str:
            with pytest.raises(InputError, match="cannot write runs there") as caught:
                run_project(DEMO, RunOptions(llm=False, out=out))
            return str(caught.value)

        message = _as_nobody(check) if os.geteuid() == 0 else check()
        assert message.startswith(f"{out}: cannot write runs there"), message
        assert list(out.iterdir()) == []
