"""Lossless Dockerfile parser with BuildKit's semantics.

Public API: ``parse(text, path)``, ``parse_file(path)``, ``ParseError``, and the model types.
"""

from codi.parser.errors import ParseError
from codi.parser.model import Dockerfile, Flag, Heredoc, Instruction, Span, Trivia
from codi.parser.parse import parse, parse_file

__all__ = ["Dockerfile", "Flag", "Heredoc", "Instruction", "ParseError", "Span", "Trivia", "parse", "parse_file"]
