"""A small POSIX shell reader for RUN scripts: split into simple commands and words.

Not a full shell: enough for rules. Never raises on odd input.

What it does: quotes, backslash escapes and ``\\``-newline continuations; ``#`` comments
(only at the start of a word); ``&& || ; | |& & ;;`` and newlines as separators;
subshells ``( )`` and groups ``{ }`` (their commands are listed in order; a pipe into
or out of a group marks all its commands ``piped``); ``$(...)``, ``$((...))``, ``${...}``
and backticks stay inside one word, as written; redirections (``>f``, ``2>&1``,
``<<EOF`` with its body skipped, ``<<<word``) are left out of ``argv`` and listed in
``redirects``; shell keywords are skipped, as are the headers of ``for``/``select``
(``for x in a b; do``), ``case ... in`` and its patterns, ``function name`` and
``name()`` and arithmetic ``((...))``. Command substitutions are not descended into.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from codi.parser.shell_lex import Tok, tokenize

_KEYWORDS = frozenset(["if", "then", "else", "elif", "fi", "do", "done", "while", "until", "!", "{", "}"])
_SEPARATORS = {";": ";", "&&": "&&", "||": "||", "&": "&", "\n": "\n", ";;": ";", ";&": ";", ";;&": ";"}
# options of wrappers that take a value in the next word
_SUDO_VALUE_OPTS = frozenset(["-u", "-g", "-C", "-h", "-p", "-U", "-r", "-t", "-D", "-T", "-R"])
_ENV_VALUE_OPTS = frozenset(["-u", "-C", "-S", "--unset", "--chdir", "--split-string"])
_WRAPPERS = frozenset(["sudo", "env", "nice", "time", "exec", "command", "nohup"])


def _is_assignment(word: str) -> bool:
    eq = word.find("=")
    if eq <= 0:
        return False
    name = word[:eq].removesuffix("+")
    return bool(name) and (name[0].isalpha() or name[0] == "_") and all(c.isalnum() or c == "_" for c in name)


def _is_bundle(word: str) -> bool:
    return len(word) > 2 and word[0] == "-" and word[1] != "-" and word[1:].isalnum()


@dataclass(slots=True)
class Command:
    argv: list[str]  # words with quotes removed; $VARS and $(...) kept as written
    raw_words: list[str]  # words exactly as in the script
    start: int  # offset of the first word in the script text
    end: int  # offset just after the last word
    separator: str  # what follows: ";", "&&", "||", "|", "&", "\n" or "" at the end
    piped: bool = False  # part of a pipeline (reads from or writes to a "|")
    word_spans: list[tuple[int, int]] = field(default_factory=list)  # (start, end) of each raw word
    redirects: list[tuple[str, str]] = field(default_factory=list)  # (op, target): (">", "/dev/null")
    # ``unwrapped()``, once: several rules ask for every command. ``_bare``: it is the command itself
    # (kept as a flag: a reference to itself would be a cycle only the garbage collector frees).
    _inner: Command | None = field(default=None, init=False, repr=False, compare=False)
    _bare: bool = field(default=False, init=False, repr=False, compare=False)

    @property
    def name(self) -> str:
        """The program run, without any leading path (``/usr/bin/apt-get`` -> ``apt-get``);
        ``sudo``/``env``/``VAR=x`` prefixes are NOT stripped here (see ``unwrapped``)."""
        if not self.argv:
            return ""
        return self.argv[0].rsplit("/", 1)[-1]

    @property
    def args(self) -> list[str]:
        """The words after the program."""
        return self.argv[1:]

    def unwrapped(self) -> Command:
        """The command with leading ``VAR=value`` assignments, ``sudo [opts]``, ``env [opts]
        [VAR=x]``, ``nice [opts]``, ``time [-p]``, ``exec [opts]``, ``command`` and ``nohup``
        removed (repeatedly: ``sudo -E env X=1 nice pip``). ``command -v x`` is a lookup,
        not a run of ``x``, and is kept. Only assignments: the result has no words. The result is
        shared (computed once): do not modify it."""
        if self._inner is not None:
            return self._inner
        if self._bare:
            return self
        argv = self.argv
        i = 0
        while i < len(argv):
            word = argv[i]
            if _is_assignment(word):
                i += 1
                continue
            prog = word.rsplit("/", 1)[-1]
            if prog not in _WRAPPERS:
                break
            j = _skip_wrapper_options(prog, argv, i + 1)
            if j is None or j >= len(argv):
                break  # a lookup (command -v) or nothing wrapped (a bare env prints the env)
            i = j
        if i == 0:
            self._bare = True
            return self
        if i >= len(argv):
            inner = replace(self, argv=[], raw_words=[], word_spans=[], start=self.end)
        else:
            inner = replace(
                self,
                argv=argv[i:],
                raw_words=self.raw_words[i:],
                word_spans=self.word_spans[i:],
                start=self.word_spans[i][0] if i < len(self.word_spans) else self.start,
            )
        self._inner = inner
        return inner

    def has_flag(self, *flags: str) -> bool:
        """True if any word after the program is one of ``flags``; short flags also match
        inside bundles of letters/digits (``-yq`` has ``-y``; so does ``-ya``, a limit of
        not knowing each program's options); ``--opt`` matches ``--opt=value``. Words after
        ``--`` are not flags."""
        shorts = {f[1] for f in flags if len(f) == 2 and f[0] == "-" and f[1] != "-"}
        longs = tuple(f + "=" for f in flags if f.startswith("--"))
        wanted = set(flags)
        for word in self.argv[1:]:
            if word == "--":
                return False
            if word in wanted:
                return True
            if longs and word.startswith(longs):
                return True
            if shorts and _is_bundle(word) and not shorts.isdisjoint(word[1:]):
                return True
        return False

    def positional(self) -> list[str]:
        """Words after the program that are not flags (do not start with ``-``; a lone
        ``-`` is positional, and so is everything after ``--``). Values of options
        (``-o file``) cannot be told apart and count as positional."""
        out: list[str] = []
        rest = False
        for word in self.argv[1:]:
            if rest or word == "-" or not word.startswith("-"):
                out.append(word)
            elif word == "--":
                rest = True
        return out

    def subcommand(self) -> str | None:
        """The first positional word (``install`` in ``apt-get -q install x``)."""
        pos = self.positional()
        return pos[0] if pos else None


def _skip_wrapper_options(prog: str, argv: list[str], i: int) -> int | None:
    """Index of the wrapped program's word after ``prog`` and its options, or None to
    keep ``prog`` as the program (``command -v``)."""
    n = len(argv)
    while i < n:
        word = argv[i]
        if word == "--":
            return i + 1
        if prog == "env" and _is_assignment(word):
            i += 1
            continue
        if not word.startswith("-") or word == "-":
            return i
        if prog == "command" and word in ("-v", "-V"):
            return None
        if (prog == "sudo" and word in _SUDO_VALUE_OPTS) or (prog == "env" and word in _ENV_VALUE_OPTS):
            i += 2
            continue
        if prog == "nice" and word == "-n":
            i += 2
            continue
        if prog == "exec" and word == "-a":
            i += 2
            continue
        i += 1
    return i


@dataclass(slots=True)
class Script:
    text: str
    commands: list[Command]
    # What readers derive from the script, computed once and dropped with it (codi.rules.cd.commands
    # keeps the tool calls here: a cache of its own kept every script of a run alive to the end).
    derived: dict[str, object] = field(default_factory=dict, init=False, repr=False, compare=False)

    def find(self, *names: str) -> list[Command]:
        """Commands whose unwrapped name is one of ``names`` (returned unwrapped)."""
        wanted = set(names)
        out: list[Command] = []
        for cmd in self.commands:
            inner = cmd.unwrapped()
            if inner.name in wanted:
                out.append(inner)
        return out

    @property
    def has_pipe(self) -> bool:
        return any(c.piped for c in self.commands)


def parse_script(text: str) -> Script:
    """Split a shell script (the RUN text, heredoc bodies included by the caller) into commands.
    Handles quotes, escapes, comments, line continuations, ``&& || ; | &``, subshells
    ``( )``/``{ }``, ``$(...)`` and backticks (kept inside a word), and skips shell keywords
    (if/then/else/elif/fi/for/in/do/done/while/until/case/esac/!)."""
    builder = _Builder(text)
    try:
        builder.feed(tokenize(text))
    except (IndexError, ValueError, RecursionError):  # pragma: no cover - defensive: never raise
        pass
    builder.finish()
    return Script(text, builder.commands)


class _Builder:
    """Groups tokens into simple commands."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.commands: list[Command] = []
        self.words: list[Tok] = []
        self.redirects: list[tuple[str, str]] = []
        self.piped_in = False  # the last separator was "|"
        self.cur_piped_in = False
        self.groups: list[tuple[int, bool]] = []  # (first command index, piped into)
        self.last_group: tuple[int, int] | None = None  # commands of the group just closed
        self.header: str | None = None  # "for" or "case": skipping a compound header
        self.cases: list[bool] = []  # per open case: expecting a pattern
        self.in_pattern = False
        self.skip_name = False  # after "function"

    def feed(self, toks: list[Tok]) -> None:
        i, n = 0, len(toks)
        while i < n:
            tok = toks[i]
            i += 1
            if tok.kind == "redir":
                target = ""
                if i < n and toks[i].kind == "word":
                    target = toks[i].value
                    i += 1
                self.redirects.append((tok.value, target))
            elif tok.kind == "word":
                self.word(tok)
            elif self.in_pattern:
                if tok.value == ")":
                    self.in_pattern = False
                    self.cases[-1] = False
            elif self.header == "for":
                if tok.value in (";", "\n"):
                    self.header = None
            elif tok.value == "(" and not self.words and self.cases and self.cases[-1]:
                self.in_pattern = True  # "(pattern)" form
            elif tok.value == "(":
                if len(self.words) == 1 and i < n and toks[i].value == ")":
                    self.words, self.redirects = [], []  # name() function definition
                    i += 1
                    continue
                self.close("")
                self.open_group()
            elif tok.value == ")":
                self.close("")
                self.close_group()
            else:
                self.operator(tok.value)

    def word(self, tok: Tok) -> None:
        if self.words:
            self.words.append(tok)
            return
        raw = self.text[tok.start : tok.end]
        keyword = tok.value if raw == tok.value else ""
        if self.in_pattern:
            return
        if self.header == "for":
            if keyword == "do":
                self.header = None
            return
        if self.header == "case":
            if keyword == "in":
                self.header = None
                self.cases.append(True)
            return
        if self.skip_name:
            self.skip_name = False
            return
        if self.cases and keyword == "esac":
            self.cases.pop()
            return
        if self.cases and self.cases[-1]:
            self.in_pattern = True  # a pattern up to ")"
            return
        if keyword in ("for", "select"):
            self.header = "for"
        elif keyword == "case":
            self.header = "case"
        elif keyword == "function":
            self.skip_name = True
        elif keyword == "{":
            self.open_group()
        elif keyword == "}":
            self.close_group()
        elif keyword in _KEYWORDS or tok.value.startswith("(("):
            pass
        else:
            self.last_group = None
            self.cur_piped_in = self.piped_in
            self.piped_in = False
            self.words.append(tok)

    def operator(self, op: str) -> None:
        if op in ("|", "|&"):
            if self.words:
                self.close("|")
            elif self.last_group is not None:
                for cmd in self.commands[self.last_group[0] : self.last_group[1]]:
                    cmd.piped = True
                if self.commands and not self.commands[-1].separator:
                    self.commands[-1].separator = "|"
            self.piped_in = True
            self.last_group = None
            return
        sep = _SEPARATORS.get(op, op)
        if self.words:
            self.close(sep)
        elif self.last_group is not None and self.commands and not self.commands[-1].separator:
            self.commands[-1].separator = sep
        self.piped_in = False
        self.last_group = None
        self.redirects = []
        if op in (";;", ";&", ";;&") and self.cases:
            self.cases[-1] = True

    def open_group(self) -> None:
        self.groups.append((len(self.commands), self.piped_in))
        self.last_group = None

    def close_group(self) -> None:
        if not self.groups:
            return
        first, piped_in = self.groups.pop()
        if piped_in:
            for cmd in self.commands[first:]:
                cmd.piped = True
        self.last_group = (first, len(self.commands))

    def close(self, sep: str) -> None:
        words = self.words
        if not words:
            self.redirects = []
            return
        self.commands.append(
            Command(
                argv=[w.value for w in words],
                raw_words=[self.text[w.start : w.end] for w in words],
                start=words[0].start,
                end=words[-1].end,
                separator=sep,
                piped=self.cur_piped_in or sep == "|",
                word_spans=[(w.start, w.end) for w in words],
                redirects=self.redirects,
            )
        )
        self.words = []
        self.redirects = []
        self.cur_piped_in = False

    def finish(self) -> None:
        self.close("")
