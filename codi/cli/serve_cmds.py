"""`codi serve`, `codi dashboard` and `codi stack up|down|status|logs`."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from codi.cli.app import app
from codi.cli.errors import fail
from codi.config.extras import require
from codi.config.flags import is_loopback_host as is_loopback

if TYPE_CHECKING:
    from codi.api.settings import ApiSettings

stack_app = typer.Typer(help="Run the model server and the API under a small supervisor.", no_args_is_help=True)
app.add_typer(stack_app, name="stack")



def _production_gate(out: Path, host: str) -> None:
    """CODI_PRODUCTION=1: refuse to start (exit 1) while a doctor check fails, listing each."""
    from codi.ops.doctor import gate_message, production_gate

    failures = production_gate(out, host)
    if failures:
        sys.stderr.write(gate_message(failures))
        raise typer.Exit(1)


def _settings() -> ApiSettings:
    from codi.api.settings import ApiSettings
    from codi.config.dburl import DBURLError

    try:
        return ApiSettings.from_env()
    except DBURLError as exc:
        raise fail(str(exc)) from None


def _state_db_check(url: str | None) -> None:
    """CODI_DB_URL: connect (and migrate) once here, so a database the replicas cannot share stops the
    start with one line (exit 1) before any worker process starts."""
    if not url:
        return
    from codi.config.dburl import redact
    from codi.service.statedb import StateDB, StateDBError

    try:
        StateDB(url).close()
    except StateDBError as exc:
        sys.stderr.write(f"codi: error: {exc}\n")
        raise typer.Exit(1) from None
    sys.stderr.write(f"codi serve: jobs and metrics shared in {redact(url)}\n")


@app.command("serve")
def serve_cmd(
    host: Annotated[str, typer.Option("--host", help="Address to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port to bind.")] = 8000,
    workers: Annotated[int, typer.Option("--workers", min=1, help="Worker processes.")] = 1,
    insecure: Annotated[bool, typer.Option("--insecure", help="Allow a non-loopback bind without CODI_API_KEY.")] = False,
    log_level: Annotated[str, typer.Option("--log-level", help="uvicorn log level.")] = "info",
) -> None:
    """Serve the HTTP API (OpenAPI at /docs). Keys: CODI_API_KEY; paths: CODI_ALLOWED_ROOTS; shared state
    of several replicas: CODI_DB_URL."""
    require("serve", "codi serve")
    settings = _settings()
    _production_gate(settings.runs_root, host)
    if not settings.keys and not is_loopback(host) and not insecure:
        raise fail(f"refusing to bind {host} without an API key: set CODI_API_KEY "
                    "(or pass --insecure to serve without authentication)")
    from codi.ops.bundle_store import serve_start_check

    if (bundle_problem := serve_start_check(settings.runs_root)) is not None:
        sys.stderr.write(f"codi: error: {bundle_problem}\n")
        raise typer.Exit(1)
    _state_db_check(settings.db_url)
    import uvicorn
    if not settings.keys:
        sys.stderr.write("codi serve: warning: no CODI_API_KEY set; every endpoint is open\n")
    sys.stderr.write(f"codi serve: http://{host}:{port} (allowed roots: "
                     f"{', '.join(map(str, settings.allowed_roots))}; runs: {settings.runs_root})\n")
    # One name for this server: its worker processes (which inherit the environment) sum each other's metrics.
    os.environ["CODI_SERVE_INSTANCE"] = f"s{os.getpid()}x{secrets.token_hex(4)}"
    uvicorn.run("codi.api.app:serve_app", factory=True, host=host, port=port, workers=workers,
                log_level=log_level, access_log=False, server_header=False)


def _counts(data: dict[str, object]) -> str:
    sizes = {k: len(v) if isinstance(v, list) else 0 for k, v in data.items()}
    return (f"{data['run_count']} run(s), {sizes['lint']} lint report(s), {sizes['scans']} scan(s), "
            f"{sizes['skipped']} skipped")


@app.command("dashboard")
def dashboard_cmd(
    ctx: typer.Context,
    out: Annotated[str | None, typer.Option("--out", metavar="DIR", show_default=False,
                                            help="The output root (runs folder; env CODI_OUTPUT_ROOT, default "
                                                 "./runs).")] = None,
    runs_alias: Annotated[str | None, typer.Option("--runs", hidden=True, help="Old name of --out.")] = None,
    export_json: Annotated[str | None, typer.Option("--export-json", help="Write the dataset here.")] = None,
    relative_to: Annotated[str | None, typer.Option("--relative-to", help="Write paths relative to this folder.")] = None,
    html: Annotated[str | None, typer.Option("--html", help="Write the self-contained dashboard page here.")] = None,
    lint: Annotated[list[str] | None, typer.Option(
        "--lint", metavar="FILE", help="A `codi lint --format json` or `--format sarif` output to show (repeat for "
        "several); files saved under OUT/_lint/ are shown too.")] = None,
) -> None:
    """Build the dashboard page (findings per rule and over time, size saved per project) and/or its dataset.

    Example: codi dashboard --out runs --lint codi.sarif --html dashboard.html
    """
    from codi.atomic import atomic_write_text
    from codi.config.paths import output_root
    from codi.dashboard.dataset import build_dataset
    from codi.dashboard.page import render_page

    runs = str(output_root(out or runs_alias or (ctx.obj or {}).get("out")))
    root = Path(runs)
    if not root.is_dir():
        raise fail(f"{runs}: no such runs folder")
    if export_json is None and html is None:
        raise fail("nothing to write: give --export-json FILE and/or --html FILE")
    rel = Path(relative_to) if relative_to else None
    lint_files = [Path(f) for f in lint or []]
    for f in lint_files:
        if not f.is_file():
            raise fail(f"--lint {f}: no such file")
    try:
        if export_json:
            data = build_dataset(root, rel, lint_files)
            Path(export_json).parent.mkdir(parents=True, exist_ok=True)
            atomic_write_text(Path(export_json), json.dumps(data, indent=2, ensure_ascii=False) + "\n")
            sys.stdout.write(f"{export_json}: {_counts(data)}\n")
        if html:
            # Links in the page must work from where the page lies unless told otherwise.
            data = build_dataset(root, rel or Path(html).resolve().parent, lint_files)
            Path(html).parent.mkdir(parents=True, exist_ok=True)
            atomic_write_text(Path(html), render_page(data))
            sys.stdout.write(f"{html}: {_counts(data)}\n")
    except OSError as exc:
        raise fail(f"{exc.filename or ''}: {exc.strerror or exc}") from None
    for s in data["skipped"]:
        sys.stderr.write(f"skipped {s['path']}: {s['reason']}\n")


StateOpt = Annotated[str | None, typer.Option("--state-dir", help="Supervisor state and logs (env CODI_STACK_DIR, "
                                                                   "default .codi-stack).")]


def _state(state_dir: str | None) -> Path:
    from codi.ops.supervisor import default_state_dir

    return Path(state_dir) if state_dir else default_state_dir()


@stack_app.command("up")
def stack_up(
    host: Annotated[str, typer.Option("--host", help="API bind address.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="API port.")] = 8000,
    llm_port: Annotated[int, typer.Option("--llm-port", help="Model server port.")] = 8081,
    llm: Annotated[bool, typer.Option("--llm/--no-llm", help="Also run the model server (codi llm serve).")] = True,
    workers: Annotated[int, typer.Option("--workers", min=1, help="API worker processes.")] = 1,
    detach: Annotated[bool, typer.Option("--detach", help="Run the supervisor in the background.")] = False,
    insecure: Annotated[bool, typer.Option("--insecure", help="Allow a non-loopback API without CODI_API_KEY.")] = False,
    state_dir: StateOpt = None,
) -> None:
    """Start the model server and the API, wait for their /healthz, restart crashed ones; SIGTERM stops all."""
    require("serve", "codi stack up")
    from codi.ops.supervisor import Supervisor, healthy, read_state, specs, supervisor_pid

    settings = _settings()
    _production_gate(settings.runs_root, host)
    if not settings.keys and not is_loopback(host) and not insecure:
        raise fail(f"refusing to serve the API on {host} without an API key: set CODI_API_KEY "
                    "(or pass --insecure)")
    state = _state(state_dir)
    if supervisor_pid(state) is not None:
        raise fail(f"a stack is already running from {state} (codi stack down first)")
    children = specs(host, port, llm_port if llm else None, workers, insecure)
    if not detach:
        raise typer.Exit(Supervisor(children, state).run())
    state.mkdir(parents=True, exist_ok=True)
    argv = [sys.executable, "-m", "codi", "stack", "up", "--host", host, "--port", str(port), "--llm-port",
            str(llm_port), "--llm" if llm else "--no-llm", "--workers", str(workers), "--state-dir", str(state)]
    argv += ["--insecure"] if insecure else []
    with (state / "supervisor.out").open("ab") as out:
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if all(healthy(c.health_url) for c in children):
            sys.stdout.write(f"stack up: {', '.join(c.name for c in children)} healthy (state in {state})\n")
            return
        if proc.poll() is not None:  # the supervisor gave up (a port in use, a bad setting): say so now
            raise fail(f"the stack supervisor exited with status {proc.returncode}; see {state}/supervisor.out")
        time.sleep(0.3)
    info = read_state(state)
    raise fail(f"the stack did not become healthy in 90 s; see {state}/logs (state: {json.dumps(info)})")


@stack_app.command("down")
def stack_down(state_dir: StateOpt = None) -> None:
    """Stop a running stack (SIGTERM to its supervisor, which stops the children)."""
    from codi.ops.supervisor import stop

    state = _state(state_dir)
    if not stop(state):
        sys.stdout.write(f"no stack running from {state}\n")
        return
    sys.stdout.write("stack stopped\n")


@stack_app.command("status")
def stack_status(state_dir: StateOpt = None,
                 as_json: Annotated[bool, typer.Option("--json", help="Print the state as JSON.")] = False) -> None:
    """Show the supervisor and each child (pid, health, restarts). Exit 1 if not running or unhealthy."""
    from codi.ops.supervisor import healthy, read_state, supervisor_pid

    state = _state(state_dir)
    pid = supervisor_pid(state)
    info = read_state(state) or {"children": []}
    for child in info["children"]:
        child["healthy"] = pid is not None and healthy(child["health_url"])
    ok = pid is not None and bool(info["children"]) and all(c["healthy"] for c in info["children"])
    if as_json:
        sys.stdout.write(json.dumps({"running": pid is not None, "supervisor_pid": pid, "healthy": ok,
                                     "children": info["children"]}, indent=2) + "\n")
    else:
        sys.stdout.write(f"supervisor: {'pid ' + str(pid) if pid else 'not running'} ({state})\n")
        for c in info["children"]:
            sys.stdout.write(f"  {c['name']}: pid {c['pid']}, {'healthy' if c['healthy'] else 'UNHEALTHY'}, "
                             f"{c['restarts']} restart(s), {c['health_url']}\n")
    raise typer.Exit(0 if ok else 1)


@stack_app.command("logs")
def stack_logs(name: Annotated[str, typer.Argument(help="api, llm or supervisor.")] = "api",
               lines: Annotated[int, typer.Option("-n", "--lines", help="How many lines.")] = 50,
               state_dir: StateOpt = None) -> None:
    """Print the last lines of a child's log."""
    state = _state(state_dir)
    path = state / "logs" / f"{os.path.basename(name)}.log"
    if not path.is_file():
        raise fail(f"{path}: no such log (children: api, llm, supervisor)")
    text = path.read_bytes().decode("utf-8", "replace").splitlines()
    sys.stdout.write("\n".join(text[-lines:]) + ("\n" if text else ""))
