"""Tracing: ``with span("lint", model=...) as s: s.set(tokens=12)`` around each stage.

Stages: parse, lint, detect, render, contract, build, smoke, rag.query, llm.rank, llm.explain.
Attributes: model, adapter, token counts, latency, fallback, cache hits. The default sink is a
JSONL file per process under ``<out>/_traces/`` once ``configure(out)`` named the runs folder (``codi run``
does; nothing is written before), rotated by size (``CODI_TRACE_MAX_BYTES``, 3 old files kept); ``CODI_TRACE=0``
turns it off. With ``OTEL_EXPORTER_OTLP_ENDPOINT`` on a loopback address and ``opentelemetry-sdk``
installed (extra ``otel``), spans are also exported over OTLP; otherwise that part is a no-op.
Prompt and completion text are recorded only with ``CODI_TRACE_CONTENT=1``, and always redacted.
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import os
import secrets
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from codi.config.flags import trace_enabled

SCHEMA_VERSION = 1
KEEP = 3
_current: contextvars.ContextVar[Span | None] = contextvars.ContextVar("codi_span", default=None)
_run: contextvars.ContextVar[str | None] = contextvars.ContextVar("codi_trace_run", default=None)
_lock = threading.Lock()
_buffer: contextvars.ContextVar[list[dict[str, Any]] | None] = contextvars.ContextVar("codi_trace_buf", default=None)
_root: list[Path | None] = [None]
_otel: list[Any] = []  # [tracer] once configured, [None] when unavailable


def configure(out: str | Path | None) -> None:
    """Write spans of this process under ``<out>/_traces/``."""
    _root[0] = Path(out) if out else None


def set_run(run_id: str | None) -> None:
    """Tag the following spans (in this context) with a run id."""
    _run.set(run_id)


def _enabled() -> bool:
    return trace_enabled()


def trace_dir() -> Path | None:
    root = _root[0]
    return root / "_traces" if root else None


def _redact(text: str) -> str:
    try:
        from codi.telemetry.redact import redact_text
    except ImportError:
        return text
    return redact_text(text)


@dataclass(slots=True)
class Span:
    name: str
    attrs: dict[str, Any]
    trace_id: str
    span_id: str = field(default_factory=lambda: secrets.token_hex(8))
    parent_id: str | None = None
    start: float = field(default_factory=time.time)
    status: str = "ok"

    def set(self, **attrs: Any) -> None:
        self.attrs.update({k: v for k, v in attrs.items() if v is not None})

    def content(self, **texts: str | None) -> None:
        """Prompt/completion text: kept only with CODI_TRACE_CONTENT=1, redacted."""
        if os.environ.get("CODI_TRACE_CONTENT") == "1":
            self.attrs.update({k: _redact(v) for k, v in texts.items() if v})


@contextlib.contextmanager
def buffered() -> Iterator[list[dict[str, Any]]]:
    """Hold the spans ended inside in memory (a run keeps them only when it leaves a run dir: ``flush``)."""
    held: list[dict[str, Any]] = []
    token = _buffer.set(held)
    try:
        yield held
    finally:
        _buffer.reset(token)


def flush(records: list[dict[str, Any]], out: str | Path) -> None:
    """Write held spans under ``<out>/_traces/``."""
    for record in records:
        _write(record, Path(out) / "_traces")


def _write(record: dict[str, Any], folder: Path | None = None) -> None:
    pending = _buffer.get()
    if pending is not None and folder is None:
        pending.append(record)
        return
    folder = folder or trace_dir()
    if folder is None or not _enabled():
        return
    line = json.dumps(record, default=str, sort_keys=True) + "\n"
    limit = int(os.environ.get("CODI_TRACE_MAX_BYTES", str(5 << 20)))
    path = folder / f"traces-{os.getpid()}.jsonl"
    with _lock:
        try:
            folder.mkdir(parents=True, exist_ok=True)
            if path.exists() and path.stat().st_size + len(line) > limit:
                for n in range(KEEP - 1, 0, -1):
                    older = path.with_name(f"{path.name}.{n}")
                    if older.exists():
                        os.replace(older, path.with_name(f"{path.name}.{n + 1}"))
                os.replace(path, path.with_name(f"{path.name}.1"))
            with path.open("a", encoding="utf-8") as handle:  # one line per write: readers see whole lines
                handle.write(line)
        except OSError:
            return  # tracing never breaks the work it observes


def otel_tracer() -> Any:
    """An OpenTelemetry tracer exporting to a loopback OTLP collector, or None (no-op)."""
    if _otel:
        return _otel[0]
    endpoint = os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT", "")
    tracer = None
    host = urlparse(endpoint).hostname or ""
    if endpoint and host in ("127.0.0.1", "localhost", "::1"):
        try:
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
            from opentelemetry.sdk.resources import Resource
            from opentelemetry.sdk.trace import TracerProvider
            from opentelemetry.sdk.trace.export import BatchSpanProcessor

            provider = TracerProvider(resource=Resource.create({"service.name": "codi"}))
            provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint.rstrip("/")
                                                                            + "/v1/traces")))
            tracer = provider.get_tracer("codi")
        except ImportError:
            tracer = None
    _otel.append(tracer)
    return tracer


@contextlib.contextmanager
def span(name: str, **attrs: Any) -> Iterator[Span]:
    """Time a stage; the record is written when it ends (an exception marks it ``error`` and propagates)."""
    parent = _current.get()
    current = Span(name=name, attrs={k: v for k, v in attrs.items() if v is not None},
                   trace_id=parent.trace_id if parent else secrets.token_hex(16),
                   parent_id=parent.span_id if parent else None)
    token = _current.set(current)
    started = time.perf_counter()
    tracer = otel_tracer()
    mirror = tracer.start_as_current_span(name) if tracer is not None else contextlib.nullcontext()
    try:
        with mirror as otel_span:
            try:
                yield current
            finally:
                if otel_span is not None:
                    for key, value in current.attrs.items():
                        otel_span.set_attribute(f"codi.{key}", value if isinstance(value, (str, int, float, bool))
                                                else json.dumps(value, default=str))
    except BaseException as exc:
        current.status = "error"
        current.attrs.setdefault("error", type(exc).__name__)
        raise
    finally:
        _current.reset(token)
        _write({"schema_version": SCHEMA_VERSION, "name": name, "trace_id": current.trace_id,
                "span_id": current.span_id, "parent_id": current.parent_id, "run_id": _run.get(),
                "start": current.start, "duration_ms": round((time.perf_counter() - started) * 1000, 3),
                "status": current.status, "pid": os.getpid(), "attrs": current.attrs})


def read_spans(out: str | Path) -> list[dict[str, Any]]:
    """Every span record under ``<out>/_traces/`` (rotated files too); bad lines are skipped."""
    records: list[dict[str, Any]] = []
    for file in sorted((Path(out) / "_traces").glob("traces-*.jsonl*")):
        try:
            lines = file.read_text(encoding="utf-8").splitlines()
        except OSError:
            continue
        for line in lines:
            with contextlib.suppress(ValueError):
                record = json.loads(line)
                if isinstance(record, dict) and "name" in record:
                    records.append(record)
    return records


def slowest_stages(out: str | Path, run_id: str | None = None, limit: int = 5,
                   records: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    """Per stage (span name) of a run: total and max milliseconds, slowest first (the dashboard's table).
    ``records`` saves reading the trace files again when many runs are summarised."""
    records = read_spans(out) if records is None else records
    traces = {r.get("trace_id") for r in records
              if run_id is not None and run_id in (r.get("run_id"), (r.get("attrs") or {}).get("run_id"))}
    totals: dict[str, dict[str, Any]] = {}
    for record in records:
        if record["name"] == "run" or (run_id is not None and record.get("trace_id") not in traces):
            continue
        entry = totals.setdefault(record["name"], {"stage": record["name"], "count": 0, "total_ms": 0.0,
                                                   "max_ms": 0.0})
        ms = float(record.get("duration_ms") or 0)
        entry["count"] += 1
        entry["total_ms"] = round(entry["total_ms"] + ms, 3)
        entry["max_ms"] = max(entry["max_ms"], ms)
    return sorted(totals.values(), key=lambda e: -e["total_ms"])[:limit]
