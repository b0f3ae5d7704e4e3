"""Tokens of a POSIX shell script, for ``codi.parser.shell``.

Words keep their raw text and offsets; their ``value`` has quotes and backslash
escapes removed, with ``$VAR``, ``${...}``, ``$(...)`` and backticks kept as written.
Here-document bodies after a newline are skipped. Never raises.
"""

from __future__ import annotations

import re

_PLAIN = re.compile(r"[^\s'\"\\$`|&;<>()]+")
_DQ_PLAIN = re.compile(r'[^"\\$`]+')  # a run of characters that stand for themselves inside "..."
_WORD_GOES_ON = "\\'\"$`("  # after a run of plain characters, only these may continue the word
_FD = re.compile(r"\d+(?=[<>])")
_SPACE = " \t\r\f\v"
_DQ_ESCAPABLE = '$`"\\'


class Tok:
    """A word (``kind == "word"``), an operator (``"op"``) or a redirection (``"redir"``)."""

    __slots__ = ("end", "kind", "start", "value")

    def __init__(self, kind: str, value: str, start: int, end: int) -> None:
        self.kind = kind
        self.value = value
        self.start = start
        self.end = end

    def __repr__(self) -> str:
        return f"Tok({self.kind}, {self.value!r}, {self.start}, {self.end})"


def tokenize(text: str) -> list[Tok]:
    toks: list[Tok] = []
    heredocs: list[tuple[str, bool]] = []
    n = len(text)
    i = 0
    while i < n:
        ch = text[i]
        if ch in _SPACE:
            i += 1
        elif ch == "\\" and text.startswith("\n", i + 1):
            i += 2  # line continuation between words
        elif ch == "\\" and text.startswith("\r\n", i + 1):
            i += 3
        elif ch == "#":
            nl = text.find("\n", i)
            i = n if nl < 0 else nl
        elif ch == "\n":
            toks.append(Tok("op", "\n", i, i + 1))
            i += 1
            if heredocs:
                i = _skip_heredocs(text, i, heredocs)
                heredocs.clear()
        elif ch in ";&|":
            i = _operator(text, i, toks)
        elif ch == "(" and text.startswith("((", i):
            end = _match_paren(text, i + 1)
            if end < n and text[end] == ")":
                end += 1
            toks.append(Tok("word", text[i:end], i, end))
            i = end
        elif ch in "()":
            toks.append(Tok("op", ch, i, i + 1))
            i += 1
        elif ch in "<>" and text.startswith("(", i + 1):
            end = _match_paren(text, i + 1)
            toks.append(Tok("word", text[i:end], i, end))
            i = end
        elif ch in "<>":
            i = _redirection(text, i, i, toks, heredocs)
        else:
            m = _FD.match(text, i) if ch.isdigit() else None
            if m:
                i = _redirection(text, m.end(), i, toks, heredocs)
                continue
            m = _PLAIN.match(text, i)
            if m and (m.end() >= n or text[m.end()] not in _WORD_GOES_ON):  # scan_word's fast path, inlined
                toks.append(Tok("word", m.group(), i, m.end()))
                i = m.end()
                continue
            end, value = scan_word(text, i)
            toks.append(Tok("word", value, i, end))
            i = end
    return toks


_OPERATORS_3 = frozenset({";;&", "&>>"})
_OPERATORS_2 = frozenset({";;", ";&", "&&", "||", "|&", "&>"})


def _operator(text: str, i: int, toks: list[Tok]) -> int:
    """The longest operator at ``i`` (callers only pass ``;``, ``&`` or ``|``)."""
    op = text[i : i + 3]
    if op not in _OPERATORS_3:
        op = op[:2] if op[:2] in _OPERATORS_2 else op[:1]
    toks.append(Tok("redir" if op.startswith("&>") else "op", op, i, i + len(op)))
    return i + len(op)


def _redirection(text: str, i: int, start: int, toks: list[Tok], heredocs: list[tuple[str, bool]]) -> int:
    for op in ("<<<", "<<-", "<<", "<>", "<&", ">>", ">&", ">|", "<", ">"):
        if text.startswith(op, i):
            break
    end = i + len(op)
    toks.append(Tok("redir", text[start:end], start, end))
    if op in ("<<", "<<-"):
        j = end
        while j < len(text) and text[j] in " \t":
            j += 1
        if j < len(text) and text[j] not in "\n;&|()<>":
            wend, delim = scan_word(text, j)
            toks.append(Tok("word", delim, j, wend))
            heredocs.append((delim, op == "<<-"))
            return wend
    return end


def _skip_heredocs(text: str, i: int, heredocs: list[tuple[str, bool]]) -> int:
    n = len(text)
    for delim, strip_tabs in heredocs:
        while i < n:
            nl = text.find("\n", i)
            line_end = n if nl < 0 else nl
            line = text[i:line_end].rstrip("\r")
            i = n if nl < 0 else nl + 1
            if (line.lstrip("\t") if strip_tabs else line) == delim:
                break
    return i


def scan_word(text: str, i: int) -> tuple[int, str]:
    """Scan one word from ``i``; returns (end offset, value without quotes)."""
    n = len(text)
    m = _PLAIN.match(text, i)
    if m:  # most words are plain characters only: no list to build
        end = m.end()
        if end >= n or text[end] not in _WORD_GOES_ON:
            return end, m.group()
    out: list[str] = []
    while i < n:
        m = _PLAIN.match(text, i)
        if m:
            out.append(m.group())
            i = m.end()
            if i >= n:
                break
        ch = text[i]
        if ch == "\\":
            if text.startswith("\n", i + 1):
                i += 2
            elif text.startswith("\r\n", i + 1):
                i += 3
            elif i + 1 < n:
                out.append(text[i + 1])
                i += 2
            else:
                out.append(ch)
                i += 1
        elif ch == "'":
            end = text.find("'", i + 1)
            end = n if end < 0 else end
            out.append(text[i + 1 : end])
            i = end + 1
        elif ch == '"':
            i = _double_quoted(text, i + 1, out)
        elif ch == "$" or ch == "`":
            end = _substitution_end(text, i)
            out.append(text[i:end])
            i = end
        elif ch == "(" and out and out[-1].endswith("="):
            end = _match_paren(text, i)  # bash array assignment a=(x y)
            out.append(text[i:end])
            i = end
        else:
            break  # whitespace or an operator character ends the word
    return min(i, n), "".join(out)


def _double_quoted(text: str, i: int, out: list[str]) -> int:
    n = len(text)
    while i < n:
        m = _DQ_PLAIN.match(text, i)
        if m:
            out.append(m.group())
            i = m.end()
            if i >= n:
                break
        ch = text[i]
        if ch == '"':
            return i + 1
        if ch == "\\" and i + 1 < n:
            nxt = text[i + 1]
            if nxt == "\n":
                i += 2
                continue
            if nxt in _DQ_ESCAPABLE:
                out.append(nxt)
                i += 2
                continue
            out.append(ch)
            i += 1
        elif ch == "$" or ch == "`":
            end = _substitution_end(text, i)
            out.append(text[i:end])
            i = end
        else:
            out.append(ch)
            i += 1
    return n


def _substitution_end(text: str, i: int) -> int:
    """End of ``$name``, ``${...}``, ``$(...)``, ``$((...))`` or a backtick string at ``i``."""
    n = len(text)
    if text[i] == "`":
        j = i + 1
        while j < n and text[j] != "`":
            j += 2 if text[j] == "\\" else 1
        return min(j + 1, n)
    j = i + 1
    if j >= n:
        return n
    if text[j] == "(":
        return _match_paren(text, j)
    if text[j] == "{":
        return _match_brace(text, j)
    ch = text[j]
    if ch.isdigit() or ch in "@*#?-$!":
        return j + 1
    if not (ch.isalpha() or ch == "_"):
        return j  # a lone "$"
    while j < n and (text[j].isalnum() or text[j] == "_"):
        j += 1
    return j


def _match_paren(text: str, i: int) -> int:
    """``text[i]`` is ``(``; the offset after its matching ``)`` (or the end)."""
    depth = 0
    n = len(text)
    while i < n:
        ch = text[i]
        if ch == "\\":
            i += 2
            continue
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth == 0:
                return i + 1
        elif ch == "'":
            end = text.find("'", i + 1)
            i = n if end < 0 else end + 1
            continue
        elif ch == '"':
            i = _double_quoted(text, i + 1, [])
            continue
        elif ch == "`" or (ch == "$" and text.startswith("{", i + 1)):
            i = _substitution_end(text, i)
            continue
        i += 1
    return n


def _match_brace(text: str, i: int) -> int:
    """``text[i]`` is ``{`` of ``${``; the offset after the matching ``}`` (or the end)."""
    n = len(text)
    i += 1
    while i < n:
        ch = text[i]
        if ch == "}":
            return i + 1
        if ch == "\\":
            i += 2
        elif ch == "'":
            end = text.find("'", i + 1)
            i = n if end < 0 else end + 1
        elif ch == '"':
            i = _double_quoted(text, i + 1, [])
        elif ch == "$" or ch == "`":
            i = _substitution_end(text, i)
        else:
            i += 1
    return n
