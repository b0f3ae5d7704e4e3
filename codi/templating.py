"""One way to make Jinja2 environments: StrictUndefined, and compiled templates cached on disk.

Compiling the templates costs more than rendering them, on every run; the bytecode cache
(keyed by template source checksum, under $XDG_CACHE_HOME/codi/jinja) makes later runs fast.
"""

from __future__ import annotations

from pathlib import Path

import jinja2

from codi.cachehome import cache_home


def _bytecode_cache() -> jinja2.BytecodeCache | None:
    folder = cache_home() / "jinja"
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None  # a read-only home: no cache, just slower
    return jinja2.FileSystemBytecodeCache(str(folder))


def environment(folders: list[Path], autoescape: bool, **options: object) -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader([str(f) for f in folders]),
        undefined=jinja2.StrictUndefined,
        autoescape=autoescape,
        keep_trailing_newline=True,
        bytecode_cache=_bytecode_cache(),
        **options,  # type: ignore[arg-type]
    )
