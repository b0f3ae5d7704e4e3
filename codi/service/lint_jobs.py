"""`--jobs N` for lint and fix: the same engine over batches of files in a pool of workers.

The output must be byte-identical to one process, in the same order. It is, because each file's
findings depend only on that file (its text, settings and folder): ShellCheck's de-duplication of
identical scripts across files changes how often it runs, never what it reports. The workers send
back findings only; the driver merges them and sorts with the engine's own key, exactly as
``Engine.lint`` does for one batch (a stable sort, so each file's order of ties is kept).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from codi.rules.base import Finding, Rule
from codi.rules.engine import Engine, FileInput, FileSettings, LintResult, RuleError
from codi.service.batches import plan_batches
from codi.service.errors import LintUsageError

if TYPE_CHECKING:
    from codi.fix.apply import FixOutcome

# The pool (multiprocessing, concurrent.futures) is imported only where there is more than one batch:
# a command over a few files never starts one, and need not pay for importing it.

# ~0.3 s of warm linting on one core: the corpus lints at about 700 kB of Dockerfile a second, and a
# file costs ~1 kB's worth on top of its size (parse, model, rule set-up). The workers are forked with
# the engine loaded, so a batch this small already pays for its fork and pickling, and a few hundred
# files (~0.8 MB) make 4 batches: with ~1 s batches they made one, linted in this process.
MIN_BATCH_WEIGHT = 200_000
PER_FILE_WEIGHT = 1_000


def weight(text: str) -> int:
    return len(text) + PER_FILE_WEIGHT


@dataclass(slots=True)
class _LintBatch:
    rules: list[type[Rule]]
    inputs: list[FileInput]


class WorkerDied(LintUsageError):
    """A worker process died on the same batch twice (out of memory?): exit 2 with this message."""


@contextmanager
def _worker_deaths(jobs: int) -> Iterator[None]:
    from concurrent.futures.process import BrokenProcessPool

    try:
        yield
    except BrokenProcessPool:
        raise WorkerDied(f"a --jobs {jobs} worker process died twice on the same batch of files (out of "
                         "memory?); try fewer jobs (--jobs 1 lints in this process)") from None


def _lint_batch(batch: _LintBatch) -> tuple[list[Finding], list[RuleError]]:
    result = Engine(batch.rules).lint(batch.inputs)
    return result.findings, result.errors


def lint_inputs(
    rules: Sequence[type[Rule]],
    inputs: Sequence[FileInput],
    on_file: Callable[[str], None] | None = None,
    jobs: int = 1,
    min_weight: int | None = None,
) -> LintResult:
    """``Engine(rules).lint(inputs)``, over ``jobs`` worker processes when the input is big enough
    for more than one batch (else in this process, as ``--jobs 1``)."""
    least = MIN_BATCH_WEIGHT if min_weight is None else min_weight
    batches = plan_batches([weight(i.text) for i in inputs], jobs, least) if jobs > 1 else []
    if len(batches) < 2:
        return Engine(rules).lint(inputs, on_file)
    from codi.service.pool import WorkerPool

    result = LintResult(files=[i.path for i in inputs], texts={i.path: i.text for i in inputs})
    seen_errors: set[RuleError] = set()
    tasks = [_LintBatch(list(rules), [inputs[n] for n in batch]) for batch in batches]
    with WorkerPool(_lint_batch, jobs) as pool, _worker_deaths(jobs):
        for batch, (findings, errors) in zip(batches, pool.ordered(tasks), strict=True):
            result.findings.extend(findings)
            for err in errors:  # a batch rule that failed everywhere is said once
                if err.file is not None or err not in seen_errors:
                    seen_errors.add(err)
                    result.errors.append(err)
            if on_file is not None:
                for n in batch:
                    on_file(inputs[n].path)
    result.findings.sort(key=lambda f: (f.file, f.line, f.column, f.code))
    return result


@dataclass(slots=True)
class FixTask:
    path: str
    text: str
    settings: FileSettings
    unsafe: bool


# What fixes one file (codi.service.fix.fix_one, passed in: the pool knows nothing of fixing).
FixOne = Callable[[str, str, FileSettings, bool], "FixOutcome"]


def _fix_batch(fix_one: FixOne, tasks: list[FixTask]) -> list[FixOutcome]:
    return [fix_one(t.path, t.text, t.settings, t.unsafe) for t in tasks]


def fix_texts(fix_one: FixOne, tasks: Sequence[FixTask], jobs: int = 1,
              min_weight: int | None = None) -> list[FixOutcome]:
    """``fix_one`` for each task, in order; over a pool when there is more than one batch.
    Fixing lints each file several times, so its batches fill up with fewer files."""
    least = MIN_BATCH_WEIGHT if min_weight is None else min_weight
    batches = plan_batches([weight(t.text) * 4 for t in tasks], jobs, least) if jobs > 1 else []
    if len(batches) < 2:
        return [fix_one(t.path, t.text, t.settings, t.unsafe) for t in tasks]
    from codi.service.pool import WorkerPool

    out: list[FixOutcome] = []
    with WorkerPool(functools.partial(_fix_batch, fix_one), jobs) as pool, _worker_deaths(jobs):
        for outcomes in pool.ordered([[tasks[n] for n in batch] for batch in batches]):
            out.extend(outcomes)
    return out
