"""Child processes that never outlive the command that started them, and never take the machine.

- ``die_with_parent()``: Linux's PR_SET_PDEATHSIG, so the kernel kills this process when the one
  that forked it goes (even by ``kill -9``); a no-op elsewhere.
- ``watch_parent(pid)``: a thread that ends this process once ``pid`` is gone. For pool workers,
  whose forking thread may end before the command does (PDEATHSIG follows the forking *thread*),
  and for a worker forked by a fork server rather than by the command itself.
- ``limited(...)``: a ``preexec_fn`` for subprocesses (ShellCheck): an address-space and CPU-time
  cap, and death with the parent.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import sys
import threading
import time
from collections.abc import Callable

PR_SET_PDEATHSIG = 1
WATCH_EVERY_S = 0.5


def _prctl() -> Callable[..., int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    except OSError:
        return None
    fn: Callable[..., int] = libc.prctl
    return fn


_PRCTL = _prctl()  # looked up once, before any fork: a preexec_fn must not load libraries


def die_with_parent(sig: int = signal.SIGKILL) -> bool:
    """Ask the kernel to send ``sig`` to this process when its parent ends; whether it could."""
    if _PRCTL is None:
        return False
    return _PRCTL(PR_SET_PDEATHSIG, int(sig), 0, 0, 0) == 0


def _exit_when_gone(pid: int, parent: int) -> None:
    while True:
        time.sleep(WATCH_EVERY_S)
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            os._exit(1)  # the command is gone: nobody will read what this process makes
        except PermissionError:
            pass  # alive, as another user
        if os.getppid() != parent:  # re-parented (to init or a subreaper): whatever forked us is gone
            os._exit(1)


def watch_parent(pid: int, pdeathsig: bool = True) -> None:
    """End this process within about half a second of ``pid`` ending (a daemon thread); with
    ``pdeathsig`` also at once when the thread that forked it ends (only right where that thread
    lives as long as the process: a main thread, a fork server)."""
    if pdeathsig:
        die_with_parent()
    parent = os.getppid()
    threading.Thread(target=_exit_when_gone, args=(pid, parent), name="codi-parent-watch", daemon=True).start()


def limited(memory_bytes: int | None, cpu_seconds: int | None) -> Callable[[], None]:
    """A ``preexec_fn``: caps the child's address space and CPU time, and kills it with its parent.
    Runs between fork and exec, so it only calls what was resolved before the fork."""
    import resource

    # A child may not raise a hard limit this process already has (it runs under one itself): keep
    # the lower of the two, worked out here, before the fork.
    memory = _within(resource.RLIMIT_AS, memory_bytes)
    cpu = _within(resource.RLIMIT_CPU, cpu_seconds)

    def apply() -> None:
        if memory is not None:
            resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
        if cpu is not None:
            resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu))
        if _PRCTL is not None:
            _PRCTL(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)

    return apply


def _within(which: int, wanted: int | None) -> int | None:
    import resource

    if wanted is None:
        return None
    _, hard = resource.getrlimit(which)
    return wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
