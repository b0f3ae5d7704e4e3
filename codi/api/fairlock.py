"""A first-come-first-served lock for CPU-bound request handlers."""

from __future__ import annotations

import threading
from collections import deque


class FairLock:
    """A lock handed to its waiters in arrival order (threading.Lock lets a late thread barge in)."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._waiters: deque[threading.Event] = deque()
        self._busy = False

    def __enter__(self) -> None:
        with self._guard:
            if not self._busy:
                self._busy = True
                return
            turn = threading.Event()
            self._waiters.append(turn)
        turn.wait()  # the holder hands the lock over: _busy stays True

    def __exit__(self, *exc: object) -> None:
        with self._guard:
            if self._waiters:
                self._waiters.popleft().set()
            else:
                self._busy = False
