"""Long-lived worker processes for `--jobs N`: batches in, results out, one CPU budget.

``codi lint``/``codi fix`` over many files and ``codi scan --engine local`` hand work to the same
kind of pool: a ``ProcessPoolExecutor`` whose workers live for the whole command, fed batches big
enough that a task runs a few tenths of a second or more (so the pickling and hand-over cost is noise). At most
``2 x workers`` tasks are in flight (back-pressure: a huge input is never queued all at once).

Workers are forked with the lint engine already imported (from this process while it has a single
thread, else from a fork server), so starting one costs a fork, not an interpreter. Each worker caps the ShellCheck processes it starts at its share of
the CPUs (``codi.rules.shellcheck.runner.set_job_budget``): file workers and ShellCheck share one
budget instead of ``workers x CPUs`` processes fighting over the cores.

A worker never outlives the command (``codi.childproc``): it watches the command's pid and ends
within a second of it, even after a ``kill -9`` (which runs no clean-up), and so does the fork
server; its ShellCheck processes die with it (PR_SET_PDEATHSIG).
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Generic, TypeVar

from codi.childproc import watch_parent
from codi.rules.shellcheck.runner import cpu_count, set_job_budget

T = TypeVar("T")
R = TypeVar("R")

# Modules the fork server imports once, so that each worker starts with them loaded.
PRELOAD = ["codi.rules.registry", "codi.service.lint", "codi.fix.apply", "codi.service.forkserver_guard"]
IN_FLIGHT_PER_WORKER = 2
# `--jobs` when not given, and how items are split into batches: codi.service.batches (they need none of
# the modules above, which a command that stays in one process need not import).


def _context(start_method: str | None = None) -> multiprocessing.context.BaseContext:
    """Fork while this process has one thread (workers start at once with the engine loaded, and
    no lock can be inherited held); else a fork server that preloads the engine; spawn elsewhere.
    A caller that starts threads after the pool (clones) asks for "forkserver" up front."""
    methods = multiprocessing.get_all_start_methods()
    if "fork" in methods and start_method in (None, "fork") and threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    if "forkserver" in methods:
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(PRELOAD)
        return context
    return multiprocessing.get_context("spawn")


def _init_worker(shellcheck_jobs: int, owner: int, pdeathsig: bool) -> None:
    watch_parent(owner, pdeathsig)
    set_job_budget(shellcheck_jobs)


class WorkerPool(Generic[T, R]):
    """``jobs`` worker processes running ``fn`` over batches; close it (or use ``with``) when done."""

    def __init__(self, fn: Callable[[T], R], jobs: int, start_method: str | None = None) -> None:
        self.fn = fn
        self.jobs = max(jobs, 1)
        self._share = max(1, cpu_count() // self.jobs)
        self._context = _context(start_method)
        # PR_SET_PDEATHSIG fires when the *thread* that forked a worker ends: safe where that is a fork
        # server's or this process's main thread; elsewhere the pid watch alone ends the workers.
        self._pdeathsig = (self._context.get_start_method() != "fork"
                           or threading.current_thread() is threading.main_thread())
        self.restarts = 0  # how often a dead worker broke the pool and it was started again
        self._executor = self._start()

    def _start(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(max_workers=self.jobs, mp_context=self._context, initializer=_init_worker,
                                   initargs=(self._share, os.getpid(), self._pdeathsig))

    def _restart(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)
        self._executor = self._start()
        self.restarts += 1

    def __enter__(self) -> WorkerPool[T, R]:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)

    def completed(self, tasks: Iterable[T]) -> Iterator[tuple[int, Future[R]]]:
        """(index, finished future) as tasks finish, with at most 2 x jobs in flight. A task that
        raised comes back as a future holding that exception.

        A worker that dies (killed, out of memory) breaks the whole executor and fails every task in
        flight, not only its own. Those tasks are tried again one at a time in a new pool, so only
        the one that kills its worker again fails (with BrokenProcessPool); the rest go on.
        """
        window = self.jobs * IN_FLIGHT_PER_WORKER
        pending: dict[Future[R], tuple[int, T]] = {}
        source = enumerate(tasks)
        exhausted = False
        while True:
            while not exhausted and len(pending) < window:
                try:
                    index, task = next(source)
                except StopIteration:
                    exhausted = True
                    break
                pending[self._executor.submit(self.fn, task)] = (index, task)
            if not pending:
                return
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            if any(isinstance(f.exception(), BrokenProcessPool) for f in done):
                wait(pending)  # every other task in flight ends now too, most of them broken
                done = set(pending)
            broken: list[tuple[int, T]] = []
            for future in sorted(done, key=lambda f: pending[f][0]):
                index, task = pending.pop(future)
                if isinstance(future.exception(), BrokenProcessPool):
                    broken.append((index, task))
                else:
                    yield index, future
            if broken:
                self._restart()
                for index, task in broken:
                    yield index, self._alone(task)

    def _alone(self, task: T) -> Future[R]:
        """``task`` with nothing else in flight: if its worker dies again, it is the culprit."""
        future = self._executor.submit(self.fn, task)
        wait([future])
        if isinstance(future.exception(), BrokenProcessPool):
            self._restart()
        return future

    def ordered(self, tasks: Iterable[T]) -> Iterator[R]:
        """Results in the order of ``tasks`` (each re-raises its task's exception)."""
        held: dict[int, Future[R]] = {}
        next_index = 0
        for index, future in self.completed(tasks):
            held[index] = future
            while next_index in held:
                yield held.pop(next_index).result()
                next_index += 1
