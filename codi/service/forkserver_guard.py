"""Imported by the multiprocessing fork server at its start (``codi.service.pool.PRELOAD``): the fork
server ends with the command that started it.

Python's fork server ends when its pipe from the command closes, but a process that inherited the
pipe's other end keeps it open, and the server (with its workers) stays after a ``kill -9`` of the
command. Here the fork server watches the command's pid itself. Importing this module anywhere else
does nothing.
"""

from __future__ import annotations

import os
import sys

from codi.childproc import watch_parent


def _in_fork_server() -> bool:
    main = sys.modules.get("__main__")
    # The fork server runs `python -c 'from multiprocessing.forkserver import main; main(...)'`.
    return (getattr(main, "__file__", None) is None and "multiprocessing.forkserver" in sys.modules
            and sys.argv[:1] == ["-c"])


if _in_fork_server():
    watch_parent(os.getppid(), pdeathsig=False)  # its forking thread may end before the command
