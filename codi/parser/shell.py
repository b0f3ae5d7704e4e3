"""A small POSIX shell reader for RUN scripts: split into simple commands and words.

CONTRACT (signatures fixed). Not a full shell: enough for rules. Never raises on odd input.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(slots=True)
class Command:
    argv: list[str]  # words with quotes removed; $VARS and $(...) kept as written
    raw_words: list[str]  # words exactly as in the script
    start: int  # offset of the first word in the script text
    end: int  # offset just after the last word
    separator: str  # what follows: ";", "&&", "||", "|", "&", "\n" or "" at the end
    piped: bool = False  # part of a pipeline (reads from or writes to a "|")
    word_spans: list[tuple[int, int]] = field(default_factory=list)  # (start, end) of each raw word

    @property
    def name(self) -> str:
        """The program run, without any leading path (``/usr/bin/apt-get`` -> ``apt-get``);
        ``sudo``/``env``/``VAR=x`` prefixes are NOT stripped here (see ``unwrapped``)."""
        raise NotImplementedError

    def unwrapped(self) -> Command:
        """The command with leading ``VAR=value`` assignments, ``sudo [opts]``, ``env``, ``nice``,
        ``time``, ``exec``, ``command`` removed."""
        raise NotImplementedError

    def has_flag(self, *flags: str) -> bool:
        """True if any word is one of ``flags``; short flags also match inside bundles
        (``-yq`` has ``-y``); ``--opt`` matches ``--opt=value``."""
        raise NotImplementedError

    def positional(self) -> list[str]:
        """Words after the program that are not flags (do not start with ``-``)."""
        raise NotImplementedError


@dataclass(slots=True)
class Script:
    text: str
    commands: list[Command]

    def find(self, *names: str) -> list[Command]:
        """Commands whose unwrapped name is one of ``names``."""
        raise NotImplementedError

    @property
    def has_pipe(self) -> bool:
        return any(c.piped for c in self.commands)


def parse_script(text: str) -> Script:
    """Split a shell script (the RUN text, heredoc bodies included by the caller) into commands.
    Handles quotes, escapes, comments, line continuations, ``&& || ; | &``, subshells
    ``( )``/``{ }``, ``$(...)`` and backticks (kept inside a word), and skips shell keywords
    (if/then/else/elif/fi/for/in/do/done/while/until/case/esac/!)."""
    raise NotImplementedError
