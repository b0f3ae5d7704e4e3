"""The FastAPI application factory: ``create_app()`` (uvicorn: ``codi.api.app:create_app --factory``;
`codi serve` hands uvicorn :func:`serve_app`, which says a start-up problem in one line)."""

from __future__ import annotations

import logging
import os
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI

from codi import __version__
from codi.api import errors
from codi.api.metrics import Metrics
from codi.api.middleware import Guard
from codi.api.settings import ApiSettings
from codi.config.dburl import ENV, DBURLError, redact, state_db_url
from codi.service.jobs import JobPool
from codi.service.statedb import StateDB, StateDBError

log = logging.getLogger("codi.api")


def _configure_logging() -> None:
    """uvicorn configures only its own loggers: give ours (incl. the audit log) a stderr handler."""
    if not log.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        log.addHandler(handler)
        try:
            log.setLevel(os.environ.get("CODI_LOG_LEVEL", "INFO").upper())
        except ValueError:
            log.setLevel(logging.INFO)


def _shared_state(settings: ApiSettings, url: str) -> tuple[JobPool, Metrics, StateDB]:
    """Jobs and metrics in the replicas' Postgres. Unlike the state folder below, a database that cannot
    be used stops the start (StateDBError): a replica on its own state would disagree with the others."""
    from codi.api.metrics_pg import SharedMetrics
    from codi.service.jobs_pg import PgJobs

    state_db_url({ENV: url})  # the scheme, also for settings not read from the environment
    db = StateDB(url)
    log.info("shared state (jobs, metrics): %s", redact(url))
    return JobPool(settings.job_workers, store=PgJobs(db)), Metrics(shared=SharedMetrics(db)), db


def _local_state(settings: ApiSettings) -> tuple[JobPool, Metrics]:
    """Jobs (SQLite) and metrics files in the state folder, shared by this server's worker processes."""
    state: Path | None = settings.state
    try:
        settings.state.mkdir(parents=True, exist_ok=True)
        jobs = JobPool(settings.job_workers, settings.state / "jobs.sqlite")
    except (OSError, sqlite3.Error) as exc:  # still serve; only sharing between worker processes is lost
        log.warning("state folder %s unusable (%s): jobs and metrics stay in this worker process", state, exc)
        state = None
        jobs = JobPool(settings.job_workers)
    return jobs, Metrics(state, settings.instance)


def create_app(settings: ApiSettings | None = None) -> FastAPI:
    """Raises DBURLError or StateDBError when CODI_DB_URL is set but unusable."""
    settings = settings or ApiSettings.from_env()
    _configure_logging()
    shared: StateDB | None = None
    if settings.db_url:
        jobs, metrics, shared = _shared_state(settings, settings.db_url)
    else:
        jobs, metrics = _local_state(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        from codi.llm.airgap import install

        install()  # the service never talks to the network beyond loopback (AIRGAP, default on)
        if not settings.keys:
            log.warning("CODI_API_KEY is not set: the API accepts requests without a key")
        log.info("allowed roots: %s; runs root: %s", ", ".join(map(str, settings.allowed_roots)), settings.runs_root)
        metrics.start()
        yield
        jobs.shutdown()
        metrics.stop()
        if shared is not None:
            shared.close()

    # docs_url/redoc_url off: FastAPI's pages load Swagger UI / ReDoc from a CDN; ours is self-contained.
    app = FastAPI(title="CODI API", version=__version__, lifespan=lifespan, docs_url=None, redoc_url=None,
                  swagger_ui_oauth2_redirect_url=None,
                  description="CODI, the offline Dockerfile dietician, as a service. Every endpoint except "
                              "/healthz needs an API key: `Authorization: Bearer <key>` or `X-API-Key: <key>` "
                              "(HTML pages: HTTP Basic, any user name, the key as password).")
    app.state.settings = settings
    app.state.metrics = metrics
    app.state.jobs = jobs
    errors.install(app)
    from codi.api import docs_page, routes_project, routes_runs, routes_text

    app.include_router(docs_page.router)
    app.include_router(routes_runs.router)
    app.include_router(routes_text.router)
    app.include_router(routes_project.router)
    from codi.api import routes_doctor

    app.include_router(routes_doctor.router)
    try:
        from codi.api import routes_llm
    except ModuleNotFoundError as exc:  # a build without codi.service.assist
        log.warning("LLM endpoints unavailable: %s", exc)
    else:
        app.include_router(routes_llm.router)
    app.add_middleware(Guard, settings=settings, metrics=metrics)
    return app


def serve_app() -> FastAPI:
    """The factory `codi serve` gives uvicorn: an unusable CODI_DB_URL is one error line and exit status 3
    (uvicorn's start-up failure), not a traceback from every worker process."""
    try:
        return create_app()
    except (DBURLError, StateDBError) as exc:
        _configure_logging()
        log.error("cannot start: %s", exc)
        raise SystemExit(3) from None
