"""Lossless Dockerfile parser with BuildKit's semantics.

Public API: ``parse(text, path)``, ``parse_file(path)``, ``ParseError``, and the model types.
"""

from __future__ import annotations

from pathlib import Path

from codi.parser.errors import ParseError
from codi.parser.model import Dockerfile, Flag, Heredoc, Instruction, Span, Trivia

__all__ = ["Dockerfile", "Flag", "Heredoc", "Instruction", "ParseError", "Span", "Trivia", "parse", "parse_file"]


def parse(text: str, path: str = "Dockerfile", lint_mode: bool = False) -> Dockerfile:
    """Parse Dockerfile text; raise ParseError (``path:line: message``) where BuildKit would.

    ``lint_mode`` lets through the few BuildKit errors that lint rules report themselves
    (ParseError.rule names them), so that `codi lint` shows the rule's finding instead.
    """
    from codi.parser.reader import read
    from codi.parser.validate import validate

    try:
        df = read(text, path)
    except ParseError:
        raise
    except RecursionError:
        raise ParseError("input nests too deeply", 1, path) from None
    validate(df, skip_rule_covered=lint_mode)
    return df


def parse_file(path: str | Path) -> Dockerfile:
    """Read a file (bytes kept exactly: undecodable bytes survive via surrogateescape) and parse it."""
    data = Path(path).read_bytes()
    return parse(data.decode("utf-8", "surrogateescape"), str(path))
