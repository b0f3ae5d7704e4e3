"""Smoke-run verdicts, with local processes standing in for containers (every one is stopped)."""

from __future__ import annotations

import sys

import pytest
from fake_engine import FakeEngine, free_port

import codi.imagebuild.smoke as smoke
from codi.imagebuild.engine import ImageInfo
from codi.imagebuild.smoke import smoke_run
from codi.optimise.contract.ports import command_port


def _engine(cmd: list[str], ports: list[int] | None = None, user: str = "") -> FakeEngine:
    info = ImageInfo(image_id="x", size_bytes=1, layers=1, user=user, entrypoint=[], cmd=cmd, ports=ports or [])
    return FakeEngine({"img": info})


def _all_stopped(engine: FakeEngine) -> bool:
    return all(p.poll() is not None for p in engine.procs)


def test_long_running_process_passes_and_is_stopped() -> None:
    engine = _engine([sys.executable, "-c", "import time; print('up', flush=True); time.sleep(60)"], user="app")
    result = smoke_run(engine, "img", seconds=0.5)
    assert result["status"] == "passed"
    assert "still running" in result["reason"] and "as user app" in result["reason"]
    assert "up" in result["log_tail"]
    assert _all_stopped(engine)


def test_one_shot_exit_zero_passes_and_crash_fails() -> None:
    assert smoke_run(_engine([sys.executable, "-c", "pass"]), "img", 2)["status"] == "passed"
    bad = smoke_run(_engine([sys.executable, "-c", "import sys; print('oops'); sys.exit(3)"]), "img", 2)
    assert bad["status"] == "failed" and "status 3" in bad["reason"] and "oops" in bad["log_tail"]


def test_http_port_must_answer() -> None:
    port = free_port()
    server = [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"]
    engine = _engine(server, ports=[port])
    result = smoke_run(engine, "img", seconds=0.5)
    assert result["status"] == "passed" and f"HTTP 200 on port {port}" in result["reason"]
    assert _all_stopped(engine)


def test_silent_port_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(smoke, "HTTP_WAIT", 1.0)  # keep the test short
    port = free_port()
    engine = _engine([sys.executable, "-c", "import time; time.sleep(60)"], ports=[port])
    result = smoke_run(engine, "img", seconds=0.3)
    assert result["status"] == "failed" and f"port {port}" in result["reason"]
    assert _all_stopped(engine)


def test_no_command_is_skipped() -> None:
    assert smoke_run(_engine([]), "img")["status"] == "skipped"
    assert smoke_run(FakeEngine(), "missing")["status"] == "failed"


_SERVE = ("import sys, http.server\n"
          "port = int(sys.argv[sys.argv.index('--port') + 1])\n"
          "http.server.HTTPServer(('127.0.0.1', port), http.server.SimpleHTTPRequestHandler).serve_forever()\n")


def test_an_image_that_exposes_no_port_is_asked_on_the_port_its_command_names() -> None:
    """Regression: without EXPOSE nothing was asked, so original and candidates were never compared."""
    port = free_port()
    engine = _engine([sys.executable, "-c", _SERVE, "--port", str(port)])
    result = smoke_run(engine, "img", seconds=0.5, probes=["/"])
    assert result["status"] == "passed", result
    assert f"HTTP 200 on port {port}" in result["reason"] and "read off the command" in result["reason"]
    assert result["answers"]["/"]["status"] == 200
    assert _all_stopped(engine)


@pytest.mark.parametrize(("argv", "port"), [
    (["gunicorn", "-b", "0.0.0.0:8001", "app:app"], 8001), (["gunicorn", "--bind=:9000", "app:app"], 9000),
    (["gunicorn", "app:app"], 8000), (["gunicorn", "-b", "[::]:8002", "x:y"], 8002),
    (["uvicorn", "main:app", "--host", "0.0.0.0", "--port", "80"], 80),
    (["/bin/sh", "-c", "python -m uvicorn main:app --host 0.0.0.0 --port 8080"], 8080),
    (["hypercorn", "main:app", "--bind", "0.0.0.0:8081"], 8081),
    (["python", "manage.py", "runserver", "0.0.0.0:8003"], 8003), (["python", "manage.py", "runserver"], 8000),
    (["flask", "run", "--host=0.0.0.0"], 5000), (["python", "-m", "flask", "run", "-p", "5001"], 5001),
    (["streamlit", "run", "app.py", "--server.port=8502"], 8502), (["streamlit", "run", "app.py"], 8501),
    (["node", "-p", "1+1"], None), (["node", "server.js"], None), (["python", "app.py"], None),
    (["npm", "start"], None), (["flask", "db", "upgrade"], None), (["fastapi", "run", "app/main.py"], 8000),
    (["fastapi", "run", "main.py", "--port", "80"], 80), (["fastapi", "--version"], None), (["sh", "-c", "echo 'unclosed"], None),
])
def test_the_port_a_command_names(argv: list[str], port: int | None) -> None:
    assert command_port(argv) == port
