"""The one error the parser raises."""

from __future__ import annotations

MAX_MESSAGE = 160  # characters: a message quotes at most a short excerpt of the line it rejects


def short_message(message: str) -> str:
    """``message`` on one line and at most MAX_MESSAGE characters. Messages quote the input (an unknown
    instruction is its first word, which may be a whole line of a file that is no Dockerfile); an error
    must never carry a file's content out (DESIGN.md §2, hostile input)."""
    if len(message) <= MAX_MESSAGE and message.isprintable():
        return message
    line = " ".join(message.replace("\x00", "\\0").split())
    return line if len(line) <= MAX_MESSAGE else line[: MAX_MESSAGE - 1] + "…"


class ParseError(Exception):
    """Input that BuildKit would reject; ``str()`` is ``path:line: message``."""

    def __init__(self, message: str, line: int, path: str = "Dockerfile", rule: str | None = None, kind: str = "syntax") -> None:
        message = short_message(message)
        super().__init__(f"{path}:{line}: {message}")
        self.message = message
        self.line = line
        self.path = path
        # "syntax": BuildKit's parser rejects the text; "instruction": its instruction checks do;
        # "internal": the parser itself failed (a bug or a resource limit), whatever the text.
        self.kind = kind
        self.rule = rule  # the lint rule that reports the same problem, where one exists
