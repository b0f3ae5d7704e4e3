"""BuildKit word expansion: $v ${v} ${v:-x} ${v:+x} ${v-x} ${v+x} and escaped \\$.

This mirrors what BuildKit's ``shell.Lex.ProcessWord`` does to the arguments of
FROM, COPY/ADD, WORKDIR, USER, ENV, ARG, LABEL, EXPOSE, ... (not RUN/CMD/ENTRYPOINT,
which the shell expands at run time):

- quotes are removed: ``'...'`` is literal, ``"..."`` expands ``$`` and treats the
  escape character as escaping only ``"``, ``$`` and itself (otherwise it stays);
- outside quotes the escape character (``\\`` or the file's `` ` ``) makes the next
  character literal and is itself dropped; a trailing escape is dropped;
- ``$name`` (letters, digits, ``_``; or one special parameter ``@*#?-$!0``; or a run
  of digits), ``${name}``, ``${name-w}``, ``${name:-w}``, ``${name+w}``,
  ``${name:+w}``, ``${name?w}``, ``${name:?w}``, ``${name#p}``, ``${name##p}``,
  ``${name%p}``, ``${name%%p}``, ``${name/p/r}`` and ``${name//p/r}``; the words
  inside are expanded the same way (so defaults nest);
- a ``$`` not followed by a name stays ``$``.

``env`` maps names to values; ``None`` is an ARG declared without a value, which is
*unset* (``${v-x}`` gives ``x``). Names compare case-sensitively (Linux builds).
Where BuildKit would stop with an error (``${}``, an unknown modifier, a missing
``}`` or closing quote, ``${v?msg}`` on an unset ``v``), ``expand`` does not raise:
it keeps the offending text as written (an unclosed quote runs to the end) and
``${v?msg}`` gives ``""``. Only ``expand_strict`` raises, and only UnresolvedVariable.

Expansion is bounded (``codi.parser.bounds``): past a word's depth or size limit, or the file's
budget, ``expand`` keeps the word as written and ``expand_strict`` raises ExpansionLimit (an
UnresolvedVariable: the value is unknown).
"""

from __future__ import annotations

from collections.abc import Mapping

from codi.parser.bounds import MAX_DEPTH, MAX_RESULT, ExpansionLimit, UnresolvedVariable, current_budget
from codi.parser.wildcard import parse_wildcard, replace, trim

__all__ = ["ExpansionLimit", "UnresolvedVariable", "expand", "expand_strict", "expansion_limit", "variables_used"]

_SPECIAL = frozenset("@*#?-$!0")
_MATCH_STEP_COST = 8  # a character of a wildcard match costs more than one copied
MAX_WORK = 16 * MAX_RESULT  # steps for one word, defaults not taken included


def expand(word: str, env: Mapping[str, str | None], escape: str = "\\") -> str:
    """Expand variables in ``word`` as BuildKit's shell lexer does (unset -> empty); past a limit,
    ``word`` as written."""
    if not _needs_work(word, escape):
        return word
    try:
        return _Expander(word, env, escape).run()
    except ExpansionLimit:
        return word


def expansion_limit(word: str, env: Mapping[str, str | None], escape: str = "\\") -> str | None:
    """Why expanding ``word`` passes a limit (one line), or None when it does not."""
    if not _needs_work(word, escape):
        return None
    try:
        _Expander(word, env, escape).run()
    except ExpansionLimit as exc:
        return str(exc)
    return None


def expand_strict(word: str, env: Mapping[str, str | None], escape: str = "\\") -> str:
    """Like ``expand`` but raise UnresolvedVariable when a used variable is unset or None
    (and no default applies)."""
    if not _needs_work(word, escape):
        return word
    ex = _Expander(word, env, escape)
    text = ex.run()
    if ex.unresolved:
        raise UnresolvedVariable(ex.unresolved[0])
    return text


def variables_used(word: str, escape: str = "\\") -> list[str]:
    """Names of the variables ``word`` refers to, in order (each once), including
    those only used inside a default (``${a:-$b}`` -> ``["a", "b"]``)."""
    if "$" not in word:
        return []
    ex = _Expander(word, {}, escape)
    try:
        ex.run()
    except ExpansionLimit:
        pass  # the names seen before the limit
    return list(dict.fromkeys(ex.used))


def _needs_work(word: str, escape: str) -> bool:
    return "$" in word or "'" in word or '"' in word or escape in word


class _Expander:
    """One pass over a word. Never raises; records unresolved names instead."""

    def __init__(self, text: str, env: Mapping[str, str | None], escape: str) -> None:
        self.text = text
        self.pos = 0
        self.env = env
        self.esc = escape
        self.used: list[str] = []
        # names that had no value where their value was needed; a default that is
        # not taken drops what its word added (see _lazy)
        self.unresolved: list[str] = []
        self.depth = 0
        self.budget = current_budget()
        self.work = 0  # characters written at every level (a default not taken too)
        self.charged = 0  # of which the file's budget has been charged

    def run(self) -> str:
        self.spend(len(self.text))
        text, _ = self.word(None, raw_escapes=False)
        self.spend(0, settle=True)
        return text

    def spend(self, units: int, settle: bool = False) -> None:
        """Count work; charge the file's budget every so often, and stop a word that costs too much."""
        self.work += units
        if self.work > MAX_WORK:
            raise ExpansionLimit(f"expanding this word takes more than {MAX_WORK:,} steps")
        if self.budget is not None and (settle or self.work - self.charged > MAX_RESULT):
            self.budget.charge(self.work - self.charged)
            self.charged = self.work

    def grow(self, size: int, piece: str) -> int:
        """``size`` of a word after adding ``piece``; raise past the limit."""
        size += len(piece)
        self.spend(len(piece))
        if size > MAX_RESULT:
            raise ExpansionLimit(f"a variable expands to more than {MAX_RESULT:,} characters")
        return size

    def word(self, stop: str | None, raw_escapes: bool) -> tuple[str, bool]:
        """Process up to ``stop`` (consumed) or the end; returns (text, found stop)."""
        out: list[str] = []
        text, esc = self.text, self.esc
        n = len(text)
        size = 0
        while self.pos < n:
            ch = text[self.pos]
            if stop is not None and ch == stop:
                self.pos += 1
                return "".join(out), True
            if ch == "$":
                out.append(piece := self.dollar())
                size = self.grow(size, piece)
            elif ch == "'":
                out.append(self.single_quoted())
            elif ch == '"':
                out.append(piece := self.double_quoted())
                size = self.grow(size, piece)
            elif ch == esc:
                self.pos += 1
                if raw_escapes:
                    out.append(ch)
                if self.pos < n:
                    out.append(text[self.pos])
                    self.pos += 1
            else:
                out.append(ch)
                self.pos += 1
        return "".join(out), stop is None

    def single_quoted(self) -> str:
        end = self.text.find("'", self.pos + 1)
        if end < 0:  # unclosed: best effort, the rest is literal
            body = self.text[self.pos + 1 :]
            self.pos = len(self.text)
            return body
        body = self.text[self.pos + 1 : end]
        self.pos = end + 1
        return body

    def double_quoted(self) -> str:
        out: list[str] = []
        text, esc = self.text, self.esc
        n = len(text)
        size = 0
        self.pos += 1
        while self.pos < n:
            ch = text[self.pos]
            if ch == '"':
                self.pos += 1
                return "".join(out)
            if ch == "$":
                out.append(piece := self.dollar())
                size = self.grow(size, piece)
                continue
            self.pos += 1
            if ch == esc:
                if self.pos >= n:
                    break
                if text[self.pos] in ('"', "$", esc):
                    ch = text[self.pos]
                    self.pos += 1
            out.append(ch)
        return "".join(out)

    def nested(self, stop: str, raw_escapes: bool) -> tuple[str, bool]:
        """A word inside ``${...}`` (a default, a pattern), one level deeper."""
        if self.depth >= MAX_DEPTH:
            raise ExpansionLimit(f"variables nest more than {MAX_DEPTH} levels deep")
        self.depth += 1
        try:
            return self.word(stop, raw_escapes)
        finally:
            self.depth -= 1

    def matched(self, value: str) -> None:
        """Charge a wildcard match over ``value`` (its steps are bounded by its length)."""
        self.spend(_MATCH_STEP_COST * len(value))

    def name(self) -> str:
        text, start = self.text, self.pos
        n = len(text)
        if start >= n:
            return ""
        first = text[start]
        if first.isdecimal():
            end = start
            while end < n and text[end].isdecimal():
                end += 1
            self.pos = end
            return text[start:end]
        if first in _SPECIAL:
            self.pos += 1
            return first
        end = start
        while end < n and (text[end].isalpha() or text[end].isdecimal() or text[end] == "_"):
            end += 1
        self.pos = end
        return text[start:end]

    def lookup(self, name: str) -> str | None:
        return self.env.get(name)

    def need(self, name: str) -> str:
        value = self.lookup(name)
        if value is None:
            self.unresolved.append(name)
            return ""
        return value

    def dollar(self) -> str:
        start = self.pos
        self.pos += 1
        text = self.text
        if self.pos >= len(text) or text[self.pos] != "{":
            name = self.name()
            if not name:
                return "$"
            self.used.append(name)
            return self.need(name)
        self.pos += 1
        if self.pos >= len(text) or text[self.pos] in "{}:":
            return self.bad(start)
        name = self.name()
        if name:
            self.used.append(name)
        if self.pos >= len(text):
            return self.bad(start)
        op = text[self.pos]
        self.pos += 1
        if op == "}":
            return self.need(name)
        if op == "/":
            return self.replace(start, name)
        colon = op == ":"
        if colon:
            if self.pos >= len(text):
                return self.bad(start)
            op = text[self.pos]
            self.pos += 1
        if op not in "+-?#%":
            return self.bad(start)
        mark = len(self.unresolved)
        arg, closed = self.nested("}", raw_escapes=op in "#%")
        if not closed:
            return self.bad(start)
        value = self.lookup(name)
        empty = value is None or (colon and value == "")
        if op == "-":
            if empty:
                return arg  # the default's own unresolved names count
            del self.unresolved[mark:]
            return value or ""
        del self.unresolved[mark:]
        if op == "+":
            return "" if empty else arg
        if op == "?":
            if empty:
                self.unresolved.append(name)
                return ""
            return value or ""
        if value is None:
            self.unresolved.append(name)
            return ""
        greedy = arg.startswith(op)
        pattern = parse_wildcard(arg[1:] if greedy else arg)
        if pattern is None:
            return value
        self.matched(value)
        return trim(value, pattern, suffix=op == "%", longest=greedy)

    def replace(self, start: int, name: str) -> str:
        every = self.pos < len(self.text) and self.text[self.pos] == "/"
        if every:
            self.pos += 1
        mark = len(self.unresolved)
        pattern, closed = self.nested("/", raw_escapes=True)
        if not closed:
            return self.bad(start)
        replacement, closed = self.nested("}", raw_escapes=True)
        if not closed:
            return self.bad(start)
        del self.unresolved[mark:]
        value = self.lookup(name)
        if value is None:
            self.unresolved.append(name)
            return ""
        wildcard = parse_wildcard(pattern)
        if wildcard is None:
            return value
        self.matched(value)
        result = replace(value, wildcard, replacement, every, MAX_RESULT)
        if result is None:
            raise ExpansionLimit(f"a variable expands to more than {MAX_RESULT:,} characters")
        return result

    def bad(self, start: int) -> str:
        """BuildKit rejects this substitution; keep the text as written up to the
        closing brace (or the end) and go on after it."""
        end = self.text.find("}", self.pos if self.pos > start + 1 else start)
        end = len(self.text) if end < 0 else end + 1
        self.pos = max(end, self.pos)
        return self.text[start : self.pos]
