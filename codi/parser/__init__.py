"""Lossless Dockerfile parser with BuildKit's semantics.

Public API: ``parse(text, path)``, ``parse_file(path)``, ``parse_syntax`` (BuildKit's parser stage
only), ``parse_lenient`` (for the linter), ``diagnose``, ``ParseError``, and the model types.
"""

from codi.parser.errors import ParseError
from codi.parser.model import Dockerfile, Flag, Heredoc, Instruction, Span, Trivia
from codi.parser.parse import parse, parse_file, parse_lenient, parse_syntax
from codi.parser.validate import Diagnostic, diagnose

__all__ = [
    "Diagnostic",
    "Dockerfile",
    "Flag",
    "Heredoc",
    "Instruction",
    "ParseError",
    "Span",
    "Trivia",
    "diagnose",
    "parse",
    "parse_file",
    "parse_lenient",
    "parse_syntax",
]
