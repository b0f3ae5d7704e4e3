"""The one error the parser raises."""

from __future__ import annotations


class ParseError(Exception):
    """Input that BuildKit would reject; ``str()`` is ``path:line: message``."""

    def __init__(self, message: str, line: int, path: str = "Dockerfile", rule: str | None = None, kind: str = "syntax") -> None:
        super().__init__(f"{path}:{line}: {message}")
        self.message = message
        self.line = line
        self.path = path
        # "syntax": BuildKit's parser rejects the text; "instruction": its instruction checks do.
        self.kind = kind
        self.rule = rule  # the lint rule that reports the same problem, where one exists
