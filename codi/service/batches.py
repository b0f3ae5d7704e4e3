"""How many jobs, and which items each batch of a `--jobs N` run gets.

Apart from ``codi.service.pool`` so that a command can decide whether it needs a pool at all without
importing one (multiprocessing and concurrent.futures cost a few hundredths of a second of start-up).
"""

from __future__ import annotations

from collections.abc import Sequence

from codi.rules.shellcheck.runner import cpu_count


def default_jobs() -> int:
    """`--jobs` when not given: the CPUs this process may use."""
    return cpu_count()


def plan_batches(weights: Sequence[int], jobs: int, min_weight: int) -> list[list[int]]:
    """Split item indexes into contiguous batches of similar total weight, in order.

    As many batches as keep each at ``min_weight`` or more (a task of a few tenths of a second or more), at most
    4 per worker and, from ``jobs`` batches up, a multiple of ``jobs`` so the workers finish
    together. Contiguous batches keep neighbouring files (one folder, one config) in one worker.
    """
    if not weights:
        return []
    total = sum(weights)
    count = min(len(weights), jobs * 4, max(1, total // max(min_weight, 1)))
    if count >= jobs:
        count -= count % jobs
    batches: list[list[int]] = [[] for _ in range(count)]
    acc = 0
    for index, weight in enumerate(weights):
        slot = min(count - 1, acc * count // total) if total else index * count // len(weights)
        batches[slot].append(index)
        acc += weight
    return [b for b in batches if b]
