"""`codi scan`: lint every repository of a manifest, keyed by content, resumable.

The driver prepares repositories (clone or find the folder, find the Dockerfiles, compute the
content key) on ``clone_jobs`` threads, answers what the database already holds as cached, sends
the rest to the engine in batches (at most 2 x workers in flight), and records every outcome as
it comes (upserts). Identical content in one scan is linted once. A repository that fails after
its retries is recorded with its error; the scan then ends ``partial``. Re-running resumes: what
was finished is in the database (``--resume SCAN_ID`` continues that scan's own records).
Several drivers share one scan with ``--scan-id ID`` (created by the first, joined by the others;
a shared database, usually one ``--shard`` each). Each records its part; the scan's status is
merged from the parts (running while one is, complete when every repository is done), and each
driver's exit code is its own part's, so a retried shard re-does only its own work. Drivers claim
each content key before linting it (``ResultDB.claim``); a key another driver holds is recorded
cached when its result lands, or linted here once that driver's claim lapses. Repositories are
recorded by their normalised source (``RepoSpec.key``), so two with one folder name stay two rows.
"""

from __future__ import annotations

import os
import re
import secrets
import socket
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from codi import __version__, safefs
from codi.fleet.checkout import RepoError, checkout, retry
from codi.fleet.db import open_db
from codi.fleet.db_protocol import ContentRow, RepoRow, ResultDB, ScanRow, now
from codi.fleet.engine import Engine, LintSummary, LintTask, LocalEngine, ScanError
from codi.fleet.keys import content_key, effective_config
from codi.fleet.manifest import RepoSpec, plan, read_manifest, shard
from codi.fleet.ray_engine import RayEngine, RayUnavailable
from codi.store import Store, open_store


class ScanInterrupted(Exception):
    """The test hook ``stop_after`` stopped the scan, as a killed driver would."""


@dataclass(slots=True)
class ScanOptions:
    manifest: str
    out: Path
    engine: str = "local"
    db_url: str | None = None
    store_url: str | None = None
    jobs: int = 1
    clone_jobs: int = 4
    resume: str | None = None  # continue this scan (it must exist)
    scan_id: str | None = None  # create this scan, or join it (several drivers, one per shard)
    run: bool = False
    shard: tuple[int, int] | None = None
    attempts: int = 3
    backoff_s: float = 1.0
    stop_after: int | None = None  # test hook: stop after this many repositories are recorded
    claim_poll_s: float = 0.2  # how often to look for a result another driver is linting
    # Called after each repository is recorded: (repositories done, this driver's total, status counts).
    progress: Callable[[int, int, dict[str, int]], None] | None = None


@dataclass(slots=True)
class RepoOutcome:
    name: str
    status: str  # ok | cached | failed
    key: str | None = None
    findings: int | None = None
    error: str | None = None

    def payload(self) -> dict[str, Any]:
        return {"name": self.name, "status": self.status, "key": self.key, "findings": self.findings,
                "error": self.error}


@dataclass(slots=True)
class ScanOutcome:
    scan_id: str
    status: str  # complete | partial
    repos: list[RepoOutcome]
    linted: int = 0  # distinct contents linted by this invocation
    reports: dict[str, str] = field(default_factory=dict)
    merged: str = ""  # the whole scan's status, all its drivers (shards) together: running | complete | partial
    notes: list[str] = field(default_factory=list)  # manifest entries listed twice (scanned once)

    @property
    def exit_code(self) -> int:
        return 0 if self.status == "complete" else 1

    def payload(self) -> dict[str, Any]:
        return {"scan_id": self.scan_id, "status": self.status, "scan_status": self.merged,
                "repos": [r.payload() for r in self.repos], "notes": self.notes}


@dataclass(slots=True)
class _Prepared:
    position: int
    spec: RepoSpec
    task: LintTask | None = None
    weight: int = 0
    error: str | None = None


SCAN_ID = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]{0,99}")  # it names folders in the store


def new_scan_id() -> str:
    return f"{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}-{secrets.token_hex(3)}"


def fleet_dir(out: Path) -> Path:
    return out / "_fleet"


def make_engine(name: str, jobs: int) -> Engine:
    if name == "local":
        return LocalEngine(jobs)
    if name == "ray":
        try:
            return RayEngine(jobs)
        except RayUnavailable as exc:
            raise ScanError(str(exc)) from None
    raise ScanError(f"--engine {name}: not available in this CODI (engines: local, ray)")


def _discover(root: Path, spec: RepoSpec) -> list[str]:
    from codi.service.lint import discover

    if spec.dockerfiles is not None:
        missing = [f for f in spec.dockerfiles if not safefs.found_file(root / f)]
        if missing:
            raise RepoError(f"{spec.name}: no such Dockerfile: {', '.join(missing)}")
        return sorted(set(spec.dockerfiles))
    files, errors = discover([str(root)])
    if errors:
        raise RepoError("; ".join(errors))
    return sorted(str(Path(f).relative_to(root)) for f in files)


def prepare(spec: RepoSpec, position: int, options: ScanOptions, store: Store,
            sleep: Callable[[float], None]) -> _Prepared:
    """Check out, find the Dockerfiles, key the content. Never raises: a failure is recorded."""
    item = _Prepared(position, spec)
    try:
        root = retry(lambda: checkout(spec, fleet_dir(options.out) / "clones"), options.attempts, options.backoff_s,
                     sleep).resolve()
        files = _discover(root, spec)
        # found in a checkout we did not write: inside it, regular files, bounded (codi.safefs)
        data = [(f, safefs.read_bytes(root / f, root)) for f in files]
        key = content_key(effective_config(root, files), data)
    except Exception as exc:  # RepoError, a clone that failed every try, a config error
        item.error = str(exc) or type(exc).__name__
        return item
    item.task = LintTask(key, str(root), files, store.url, options.run)
    item.weight = sum(len(b) + 1000 for _, b in data)
    return item


def _prepared(todo: list[tuple[int, RepoSpec]], options: ScanOptions, store: Store,
              sleep: Callable[[float], None]) -> Iterator[_Prepared]:
    """Prepared repositories in manifest order, ``clone_jobs`` at a time (at most 2 x ahead)."""
    window = max(options.clone_jobs, 1) * 2
    with ThreadPoolExecutor(max_workers=max(options.clone_jobs, 1), thread_name_prefix="codi-clone") as pool:
        queue: list[Future[_Prepared]] = []
        source = iter(todo)
        while True:
            while len(queue) < window:
                nxt = next(source, None)
                if nxt is None:
                    break
                queue.append(pool.submit(prepare, nxt[1], nxt[0], options, store, sleep))
            if not queue:
                return
            yield queue.pop(0).result()


class _Scan:
    """One invocation's bookkeeping: what is recorded, what waits on a key being linted."""

    def __init__(self, scan_id: str, db: ResultDB, options: ScanOptions) -> None:
        self.scan_id = scan_id
        self.db = db
        self.options = options
        self.outcomes: dict[int, RepoOutcome] = {}
        self.waiting: dict[str, list[_Prepared]] = {}  # key -> repositories waiting for its lint
        self.elsewhere: dict[str, list[_Prepared]] = {}  # key -> repositories waiting for another driver
        shard_text = f"{options.shard[0]}/{options.shard[1]}" if options.shard else "-"
        self.worker = f"{socket.gethostname()}:{os.getpid()}:{shard_text}"
        self.recorded = 0
        self.linted = 0
        self.total = 0  # this driver's repositories (its shard)
        self.counts: dict[str, int] = {}  # statuses recorded by this invocation, for progress

    def record(self, item: _Prepared, outcome: RepoOutcome) -> None:
        self.outcomes[item.position] = outcome
        self.db.put_repo(self.scan_id, RepoRow(outcome.name, item.position, item.spec.key, outcome.status,
                                               outcome.key, outcome.findings, outcome.error))
        self.recorded += 1
        if self.options.progress is not None:
            self.counts[outcome.status] = self.counts.get(outcome.status, 0) + 1
            self.options.progress(len(self.outcomes), self.total, dict(self.counts))
        if self.options.stop_after is not None and self.recorded >= self.options.stop_after:
            raise ScanInterrupted(f"stopped after {self.recorded} repositories")

    def batches(self, items: Iterator[_Prepared], min_weight: int) -> Iterator[list[LintTask]]:
        """Tasks to lint, batched; cached and failed repositories are recorded on the way."""
        batch: list[LintTask] = []
        weight = 0
        for item in items:
            if item.task is None:
                self.record(item, RepoOutcome(item.spec.name, "failed", error=item.error))
                continue
            key = item.task.key
            if key in self.waiting or key in self.elsewhere:  # the same content is already being linted
                (self.waiting if key in self.waiting else self.elsewhere)[key].append(item)
                continue
            row = self.db.contents([key]).get(key)
            if row is not None and (row.run_uri is not None or not self.options.run):
                self.record(item, RepoOutcome(item.spec.name, "cached", key, row.findings))
                continue
            if not self.db.claim(self.scan_id, [key], self.worker):  # another driver of this scan lints it
                self.elsewhere[key] = [item]
                continue
            self.waiting[key] = [item]
            batch.append(item.task)
            weight += item.weight
            if weight >= min_weight:
                yield batch
                batch, weight = [], 0
        if batch:
            yield batch

    def settle(self, engine: Engine) -> None:
        """Wait for the contents other drivers claimed: each is cached when its result lands, or
        linted here when the other driver's claim lapses (it died). A content whose lint failed
        there fails here too (with its error)."""
        polls = 0
        while self.elsewhere:
            for key, row in self.db.contents(sorted(self.elsewhere)).items():
                if row.run_uri is not None or not self.options.run:
                    for item in self.elsewhere.pop(key):
                        self.record(item, RepoOutcome(item.spec.name, "cached", key, row.findings))
            if polls % 10 == 9:
                failed = {r.key: r.error for r in self.db.repos(self.scan_id) if r.status == "failed" and r.key}
                for key in [k for k in self.elsewhere if k in failed]:
                    for item in self.elsewhere.pop(key):
                        self.record(item, RepoOutcome(item.spec.name, "failed", key, error=failed[key]))
            polls += 1
            mine = self.db.claim(self.scan_id, sorted(self.elsewhere), self.worker) if self.elsewhere else []
            if not mine:
                if self.elsewhere:
                    time.sleep(self.options.claim_poll_s)
                continue
            batch = []
            for key in mine:
                items = self.waiting[key] = self.elsewhere.pop(key)
                batch.append(items[0].task)
            for _, summaries in engine.map([[t for t in batch if t is not None]]):
                for summary in summaries:
                    self.finish(summary)

    def finish(self, summary: LintSummary) -> None:
        items = self.waiting.pop(summary.key, [])
        if summary.error is None:
            self.linted += 1
            self.db.put_content(ContentRow(summary.key, summary.findings, summary.by_rule, summary.stack,
                                           summary.files, summary.result_uri, summary.run_uri))
        for n, item in enumerate(items):
            if summary.error is not None:
                self.record(item, RepoOutcome(item.spec.name, "failed", summary.key, error=summary.error))
            else:
                self.record(item, RepoOutcome(item.spec.name, "ok" if n == 0 else "cached", summary.key,
                                              summary.findings))


def run_scan(options: ScanOptions, sleep: Callable[[float], None] = time.sleep) -> ScanOutcome:
    """Scan the manifest's repositories. Raises ManifestError/ScanError/DBError/StoreError for bad
    input (nothing scanned), ScanInterrupted from the test hook."""
    from codi.fleet.report import write_reports
    from codi.service.lint_jobs import MIN_BATCH_WEIGHT

    whole, notes = plan(read_manifest(options.manifest))
    specs = shard(whole, *options.shard) if options.shard is not None else whole
    if options.scan_id is not None and not SCAN_ID.fullmatch(options.scan_id):
        raise ScanError(f"--scan-id {options.scan_id!r}: expected 1 to 100 letters, digits, '.', '_' or '-' "
                        "(not first: '.' or '-')")
    db = open_db(options.db_url, fleet_dir(options.out) / "fleet.db")
    try:
        store = open_store(options.store_url, fleet_dir(options.out) / "store")
        scan_id = options.resume or options.scan_id or new_scan_id()
        previous = db.scan(scan_id) if options.resume or options.scan_id else None
        if options.resume and previous is None:
            raise ScanError(f"--resume {scan_id}: no such scan in {db.url}")
        shard_text = f"{options.shard[0]}/{options.shard[1]}" if options.shard else None
        # The scan counts the whole manifest, so its merged status is complete only when every shard is.
        db.start_scan(ScanRow(scan_id, previous.started_at if previous else now(), "running",
                              str(Path(options.manifest).resolve()), shard_text, len(whole),
                              extra={"codi_version": __version__}))
        scan = _Scan(scan_id, db, options)
        part = shard_text or "all"
        db.start_part(scan_id, part, scan.worker, len(specs))
        scan.total = len(specs)
        done = {r.source: r for r in db.repos(scan_id) if r.status in ("ok", "cached")}
        todo: list[tuple[int, RepoSpec]] = []
        for position, spec in enumerate(specs):
            row = done.get(spec.key)
            if row is None:
                todo.append((position, spec))
            else:
                scan.outcomes[position] = RepoOutcome(spec.name, row.status, row.key, row.findings)
        engine = make_engine(options.engine, options.jobs)
        try:
            # One process: a repository at a time, so each is recorded as soon as it is linted.
            least = MIN_BATCH_WEIGHT if engine.jobs > 1 else 0
            batches = scan.batches(_prepared(todo, options, store, sleep), least)
            for _, summaries in engine.map(batches):
                for summary in summaries:
                    scan.finish(summary)
            scan.settle(engine)
        except ScanError:  # the engine could not start (a cluster out of reach): this part ends here
            db.finish_part(scan_id, part, "partial")
            raise
        finally:
            engine.close()
        repos = [scan.outcomes[p] for p in sorted(scan.outcomes)]
        status = "partial" if any(r.status == "failed" for r in repos) or len(repos) < len(specs) else "complete"
        outcome = ScanOutcome(scan_id, status, repos, scan.linted, merged=db.finish_part(scan_id, part, status),
                              notes=notes)
        outcome.reports = write_reports(db, store, scan_id)
        return outcome
    finally:
        db.close()
