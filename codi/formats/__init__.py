"""Output formats for `codi lint`: one module per format, each with ``render(result, color, quiet)``."""

from __future__ import annotations

import importlib
from typing import Protocol

from codi.rules.engine import LintResult

# format name -> module under codi.formats
FORMATS = {
    "tty": "tty",
    "concise": "concise",
    "json": "json_array",
    "sarif": "sarif",
    "checkstyle": "checkstyle",
    "gitlab": "gitlab",
    "junit": "junit",
    "github": "github",
    # hadolint's other format names (`hadolint -f ...`), same meaning
    "gitlab_codeclimate": "gitlab",
    "codeclimate": "codeclimate",
    "gnu": "gnu",
    "codacy": "codacy",
    "sonarqube": "sonarqube",
}


class Renderer(Protocol):
    def __call__(self, result: LintResult, color: bool = False, quiet: bool = False) -> str: ...


def renderer(name: str) -> Renderer:
    if name not in FORMATS:
        raise ValueError(f"unknown format {name!r} (choose from {', '.join(FORMATS)})")
    module = importlib.import_module(f"codi.formats.{FORMATS[name]}")
    render: Renderer = module.render
    return render


def render(name: str, result: LintResult, color: bool = False, quiet: bool = False) -> str:
    return renderer(name)(result, color=color, quiet=quiet)
