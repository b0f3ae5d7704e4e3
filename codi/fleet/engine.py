"""Engines map batches of repositories to lint results: the ``Engine`` protocol, the worker-side
``lint_batch`` every engine runs, and the local engine (section 1's process pool).

A worker reads the repository's Dockerfiles, lints them as `codi lint` would, writes the full
result (and with ``--run`` the estimate-mode run dir) to the store and returns a small summary;
only the driver writes the database. A Ray engine submits the same ``lint_batch`` as Ray tasks.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from codi import safefs
from codi.fleet.checkout import retry
from codi.store import Store, open_store


@dataclass(slots=True)
class LintTask:
    key: str
    root: str  # the repository's folder (absolute)
    dockerfiles: list[str]  # relative to root, sorted
    store_url: str
    run: bool = False  # also the estimate-mode pipeline


@dataclass(slots=True)
class LintSummary:
    key: str
    findings: int = 0
    by_rule: dict[str, int] = field(default_factory=dict)
    stack: str = "unknown"
    files: int = 0
    result_uri: str = ""
    run_uri: str | None = None
    error: str | None = None  # the repository failed (a crash, unreadable files)


class Engine(Protocol):
    """Maps batches of tasks to summaries, as they finish, with bounded work in flight."""

    jobs: int

    def map(self, batches: Iterable[list[LintTask]]) -> Iterator[tuple[list[LintTask], list[LintSummary]]]: ...

    def close(self) -> None: ...


STORE_ATTEMPTS = 3
STORE_BACKOFF_S = 0.5


def result_key(key: str) -> str:
    return f"results/{key[:2]}/{key}.json"


def lint_repo(task: LintTask) -> LintSummary:
    from codi.service.lint import LintRequest, run_lint

    root = Path(task.root)
    summary = LintSummary(task.key, files=len(task.dockerfiles))
    outcome = run_lint(LintRequest(paths=[str(root / f) for f in task.dockerfiles], confine_to=str(root)))
    if outcome.input_errors:
        summary.error = "; ".join(outcome.input_errors)
        return summary
    payload = []
    for finding in outcome.result.findings:
        item = finding.payload()
        item["file"] = str(Path(finding.file).relative_to(root))
        payload.append(item)
        summary.by_rule[finding.code] = summary.by_rule.get(finding.code, 0) + 1
    summary.findings = len(payload)
    summary.stack = _stack(root, task.dockerfiles)
    store = open_store(task.store_url, root)
    data = {"schema_version": 1, "key": task.key, "dockerfiles": task.dockerfiles, "stack": summary.stack,
            "findings": payload, "errors": [str(e) for e in outcome.result.errors]}
    body = json.dumps(data, indent=1, sort_keys=True).encode("utf-8")
    # S3 requests are retried by obstore itself (back-off); a folder on a network mount may fail once.
    retry(lambda: store.put(result_key(task.key), body), STORE_ATTEMPTS, STORE_BACKOFF_S)
    summary.result_uri = store.locate(result_key(task.key))
    if outcome.result.failed:  # fail closed: the findings above are kept, but this repository did not pass
        summary.error = "lint failed: " + "; ".join(str(e) for e in outcome.result.errors)
        return summary
    if task.run and task.dockerfiles:
        summary.run_uri = _estimate_run(task, store)
    return summary


def _stack(root: Path, dockerfiles: list[str]) -> str:
    from codi.optimise.stack.detect import detect_stack
    from codi.parser.parse import parse_lenient

    try:
        if not dockerfiles:
            return detect_stack(root).stack
        first = root / dockerfiles[0]
        parsed, _ = parse_lenient(safefs.read_text(first, root), dockerfiles[0])
        return detect_stack(first.parent, parsed, dockerfiles[0]).stack
    except Exception:  # detection is informational: never fail a repository for it
        return "unknown"


def _estimate_run(task: LintTask, store: Store) -> str | None:
    """`codi run --no-llm` in estimate mode on the first Dockerfile; the run dir goes to the store."""
    from codi.service.run import RunOptions, run_project

    first = Path(task.root) / task.dockerfiles[0]
    with tempfile.TemporaryDirectory(prefix="codi-scan-run-") as tmp:
        result = run_project(first.parent, RunOptions(out=Path(tmp), dockerfile=str(first), llm=False, rag=False))
        if result.run_dir is None:
            return None
        prefix = f"runs/{task.key}"
        for path in sorted(p for p in result.run_dir.rglob("*") if p.is_file()):
            store.put(f"{prefix}/{path.relative_to(result.run_dir).as_posix()}", path.read_bytes())
        return store.locate(prefix)


def lint_batch(tasks: list[LintTask]) -> list[LintSummary]:
    """The worker's job: each task in turn; a crash fails that repository only."""
    out = []
    for task in tasks:
        try:
            out.append(lint_repo(task))
        except Exception as exc:  # a bug of ours or an unreadable tree: record it, go on
            out.append(LintSummary(task.key, error=f"{type(exc).__name__}: {exc}"))
    return out


class LocalEngine:
    """``jobs`` worker processes on this machine (``jobs`` 1: this process, no pool)."""

    def __init__(self, jobs: int) -> None:
        self.jobs = max(jobs, 1)
        self._pool = None
        if self.jobs > 1:
            from codi.service.pool import WorkerPool

            self._pool = WorkerPool(lint_batch, self.jobs, start_method="forkserver")

    def map(self, batches: Iterable[list[LintTask]]) -> Iterator[tuple[list[LintTask], list[LintSummary]]]:
        if self._pool is None:
            for batch in batches:
                yield batch, lint_batch(batch)
            return
        held: list[list[LintTask]] = []

        def remember() -> Iterator[list[LintTask]]:
            for batch in batches:
                held.append(batch)
                yield batch

        for index, future in self._pool.completed(remember()):
            yield held[index], _summaries(held[index], future)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()


def _summaries(batch: list[LintTask], future: Future[list[LintSummary]]) -> list[LintSummary]:
    try:
        return future.result()
    except Exception as exc:  # the worker died (killed, out of memory): the batch fails, the scan goes on
        return [LintSummary(t.key, error=f"worker failed: {type(exc).__name__}: {exc}") for t in batch]


class ScanError(Exception):
    """Bad options (an unknown scan to resume, an engine this CODI lacks): exit 2."""
