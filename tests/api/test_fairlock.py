"""The /lint handler's lock serves waiting requests in arrival order."""

from __future__ import annotations

import threading
import time

from codi.api.fairlock import FairLock


def _wait_for(cond, seconds: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while not cond():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.001)


def test_waiters_get_the_lock_in_arrival_order() -> None:
    lock = FairLock()
    order: list[int] = []
    threads = []

    def worker(i: int) -> None:
        with lock:
            order.append(i)

    with lock:
        for i in range(6):
            t = threading.Thread(target=worker, args=(i,))
            t.start()
            threads.append(t)
            _wait_for(lambda n=i + 1: len(lock._waiters) == n)  # queued before the next one starts
    for t in threads:
        t.join(10)
    assert order == list(range(6))
    # Free again: taken at once, also after an exception inside.
    try:
        with lock:
            raise ValueError("boom")
    except ValueError:
        pass
    done = threading.Event()
    threading.Thread(target=lambda: (lock.__enter__(), done.set(), lock.__exit__())).start()
    assert done.wait(5)
