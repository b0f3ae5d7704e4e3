"""Lossless Dockerfile parser with BuildKit's semantics.

Public API: ``parse(text, path)``, ``parse_file(path)``, ``ParseError``, and the model types.
"""

from codi.parser.model import Dockerfile, Flag, Heredoc, Instruction, Span, Trivia

__all__ = ["Dockerfile", "Flag", "Heredoc", "Instruction", "Span", "Trivia"]
